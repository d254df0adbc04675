"""The content folder: program, FAQ, lessons, creatives, templates and text overrides."""
