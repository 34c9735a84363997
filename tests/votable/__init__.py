"""Tests of the streaming VOTable writer, the other output formats and the error documents."""
