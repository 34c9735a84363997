"""HiPS and MOC of the CoRoT archive: building (image and catalogue HiPS, MOCs) and serving.

Follows HiPS 1.0 (IVOA REC 2017-05-19, properties vocabulary of ``hips_version`` 1.4),
MOC 2.0 (IVOA REC 2022) and the HiPS-list format (HiPS 1.0 §5.2).  Building is done by
the CLI (``corot-vo hips build``) or :func:`hips.build.build_all`; :mod:`hips.routes`
serves the trees found under ``settings.hips_dir``.
"""
