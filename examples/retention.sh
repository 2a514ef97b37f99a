glust serve --retention-days 30 --max-bytes 20GiB     # a month, at most 20 GiB
GLUST_RETENTION_DAYS=0 GLUST_MAX_BYTES=0 glust serve   # keep everything
