"""Reading the inputs: walking the paths given, decoding files into documents, removing boilerplate."""
