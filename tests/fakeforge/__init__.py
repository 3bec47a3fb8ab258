"""What the fake forges (`tests.fakegithub`, `tests.fakegitlab`) have in common.

- `gitops`: bare repositories on disk, driven by the git command with a clean environment;
- `http`: the threaded loopback HTTP server, request bodies, answers and git's smart HTTP
  (`git http-backend`, pushes included);
- `rules`: one-use-at-a-time rules that match a request (delays, canned answers, spoiled bodies);
- `paging`: page/per_page pagination and its `Link` header;
- `validation`: JSON Schema checking of response bodies (formats, path templates).
"""
