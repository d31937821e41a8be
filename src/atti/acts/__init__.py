"""Acts: the model, YAML loading with positions, the checks before signing, the references an act
makes to other acts and laws, and the import of existing acts (text, PDF, DOCX) into the format."""

from atti.acts.loader import LoadedAct, load_act, load_act_text, numbered_text
from atti.acts.model import Act

__all__ = ["Act", "LoadedAct", "load_act", "load_act_text", "numbered_text"]
