glust serve --min-body-bytes-per-second 16KiB --body-timeout-s 5 --max-connections 1000
