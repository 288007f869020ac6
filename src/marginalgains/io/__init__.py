"""Readers and writers: catalogues, tidy values, Fingertips exports, bundled datasets."""
