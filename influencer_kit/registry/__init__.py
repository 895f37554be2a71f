"""The registry of known people: stable ids, display names and corrections that every later run
keeps (README: "Known influencers (the registry)").

- `store`: the tables (people, reference faces, embeddings per embedder, the corrections log, accounts)
- `database`: where it lives, a SQLite file or a PostgreSQL database, and the connection to it
- `schema`: the one schema of both, as numbered migrations applied on open
- `transfer`: `migrate`, a whole registry copied into an empty one
- `match`: the rule that says which known person an appearance is, or that it is nobody known
- `known`: what a run does with the registry (check the embedder, match, add new people)
- `embedders`: one embedder per comparison; re-embedding the reference faces for another
- `corrections`: rename, merge, split, ignore, different, confirm, undo, each with its author
- `spreadsheet`: the same corrections by editing an exported workbook
- `__main__`: `python -m influencer_kit.registry list|rename|merge|split|ignore|different|undo|export|import|
  history|migrate`
"""
