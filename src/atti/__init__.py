"""atti: administrative acts from YAML to signed PDF/A and a tamper-evident archive.

Data flows one way: act -> render / sign -> archive -> export -> web / cli; CONTRIBUTING.md draws
the layers and tests/test_layers.py holds the code to them.
"""

__version__ = "0.1.0"
