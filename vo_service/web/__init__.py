"""HTML pages (landing page); they only call the cores."""
