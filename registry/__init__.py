"""IVOA registry records (VOResource 1.1) of the service, published over OAI-PMH 2.0 (RegistryInterface 1.1)."""
