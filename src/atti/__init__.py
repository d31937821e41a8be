"""atti: administrative acts from YAML to signed PDF/A and a tamper-evident archive.

Data flows one way: act (validated model) -> rendered documents -> signed PDF -> archive record.
"""

__version__ = "0.1.0"
