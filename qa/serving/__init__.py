"""Serving: the command line, the assistant as a server runs it (batching queue, warm-up, the app
process), the load benchmark and the app's feedback store. The top room: may import any other."""
