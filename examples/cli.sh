glust traces --service checkout --since 1h          # table of trace summaries
glust traces --status error --min-duration 500 --attr http.route:/pay --limit 50
glust trace 4bf92f3577b34da6a3ce929d0e0e4736        # indented text waterfall
glust logs --service checkout --q timeout --since 1h
