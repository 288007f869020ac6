"""Faces that render an Atlas: Vega-Lite charts, the self-contained HTML page, and output files."""
