glust tail --signal logs --severity warn            # until Ctrl-C
