"""Reading the inputs: walking the paths given, decoding files into documents (text, web pages, Word files), removing boilerplate."""
