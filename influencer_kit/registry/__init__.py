"""The registry of known people: stable ids, display names and corrections that every later run
keeps (README: "Known influencers (the registry)").

- `store`: the SQLite file (people, reference faces, embeddings per embedder, the corrections log)
- `match`: the rule that says which known person an appearance is, or that it is nobody known
- `known`: what a run does with the registry (check the embedder, match, add new people)
- `embedders`: one embedder per comparison; re-embedding the reference faces for another
- `corrections`: rename, merge, split, ignore
- `spreadsheet`: the same corrections by editing an exported workbook
- `__main__`: `python -m influencer_kit.registry list|rename|merge|split|ignore|export|import|history`
"""
