"""Online meetings (issue 4): one Meeting per online booking or class session, join
tokens per participant, providers behind one interface, and the one reveal rule."""
