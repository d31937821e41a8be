"""Describing archived acts for others: AgID metadata (Allegato 5), Akoma Ntoso, BagIt packages."""
