"""dailypapers: the Hugging Face Daily Papers list, read in full and analysed, as a daily report."""

__version__ = "0.1.0"
