"""One libxml2 tree at a time per process: trees parsed in different threads must not meet
(a crash in libxml2's allocator was seen with concurrent parses). Every reader of HTML or XML
holds this lock from parsing to freeing."""

import threading

LIBXML = threading.Lock()
