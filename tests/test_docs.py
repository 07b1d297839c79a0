"The README's links: every image and file it points to inside the repository exists (figures and tables are committed)."
import re


def test_readme_links_resolve(root):
    text = (root / "README.md").read_text()
    links = re.findall(r"!?\[[^\]]*\]\(([^)#\s]+)\)", text)
    local = [l for l in links if "://" not in l]
    assert any(l.endswith(".png") for l in local)  # the README shows figures
    missing = [l for l in local if not (root / l).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_parameter_cells_are_tagged_for_papermill(root):
    "A notebook's '# parameters' cell must carry papermill's tag, or `papermill -p` injects values that the cell then overwrites."
    import json
    untagged = [f"{p.name} cell {i}" for p in sorted((root / "nbs").glob("*.ipynb"))
                for i, c in enumerate(json.loads(p.read_text())["cells"])
                if c["cell_type"] == "code" and "".join(c["source"]).lstrip().startswith("# parameters")
                and "parameters" not in c["metadata"].get("tags", [])]
    assert not untagged, f"add the 'parameters' cell tag to: {', '.join(untagged)}"
