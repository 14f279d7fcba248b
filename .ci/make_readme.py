"""Write README.md from nbs/index.ipynb (nbdev_readme needs quarto, which is not on PyPI).

Markdown cells are copied, code cells become ```python blocks; a code cell marked `#| echo: false`
contributes only its markdown output (e.g. the reproduction status table); cells whose first line is
`#| hide` are left out. `--check` fails if README.md is stale."""
import json, sys, pathlib

root = pathlib.Path(__file__).resolve().parent.parent
nb = json.loads((root / 'nbs' / 'index.ipynb').read_text())
parts = ['<!-- generated from nbs/index.ipynb by .ci/make_readme.py: edit the notebook -->\n']
for cell in nb['cells']:
    src = ''.join(cell['source']).strip('\n')
    if not src or src.startswith('#| hide') or src.startswith('#|hide'):
        continue
    if cell['cell_type'] == 'markdown':
        parts.append(src + '\n')
    elif cell['cell_type'] == 'code' and any(l.replace(' ', '') == '#|echo:false' for l in src.splitlines()):
        for o in cell.get('outputs', []):
            md = o.get('data', {}).get('text/markdown')
            if md: parts.append((''.join(md) if isinstance(md, list) else md).strip('\n') + '\n')
    elif cell['cell_type'] == 'code':
        lines = [l for l in src.splitlines() if not l.startswith('#|')]
        parts.append('```python\n' + '\n'.join(lines) + '\n```\n')
text = '\n'.join(parts)
readme = root / 'README.md'
if '--check' in sys.argv:
    if not readme.exists() or readme.read_text() != text:
        sys.exit('README.md is stale: run `python .ci/make_readme.py` and commit')
else:
    readme.write_text(text)
