"""Acts: the model, YAML loading with line numbers, and the checks before signing."""

from atti.acts.loader import LoadedAct, load_act, load_act_text
from atti.acts.model import Act

__all__ = ["Act", "LoadedAct", "load_act", "load_act_text"]
