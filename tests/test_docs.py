"The README's links: every image and file it points to inside the repository exists (figures and tables are committed)."
import re


def test_readme_links_resolve(root):
    text = (root / "README.md").read_text()
    links = re.findall(r"!?\[[^\]]*\]\(([^)#\s]+)\)", text)
    local = [l for l in links if "://" not in l]
    assert any(l.endswith(".png") for l in local)  # the README shows figures
    missing = [l for l in local if not (root / l).exists()]
    assert not missing, f"README.md links to missing files: {missing}"
