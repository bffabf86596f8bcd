"""Reading a question: normalising, the genre's word lists, the parsed `Query`, the answer form
(overview, several parts) and follow-ups. Imports only qa.config and the standard library."""
