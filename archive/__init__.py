"""The CoRoT archive: N2 light-curve products, their names and FITS format, the simulator of the
demo archive, the observation log and the ingester that loads real or simulated deliveries.

Modules are imported explicitly (``from archive.n2fits import read_n2``); this
package runs nothing at import.
"""
