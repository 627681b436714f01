"""File import: CSV (UTF-8 or GBK/GB18030), JSON lines and Excel .xlsx into ``raw.<dataset>``."""
