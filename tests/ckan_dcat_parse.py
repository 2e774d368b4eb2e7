"""Run by tests/test_dcat_harvest.py with the interpreter of .venv-ckan (CKAN
and ckanext-dcat, kept apart from the portal's own dependencies): parse DCAT
with ckanext-dcat's RDFParser, as a CKAN harvester does, and print the CKAN
datasets it makes as JSON, one per line.

    python tests/ckan_dcat_parse.py PROFILE FORMAT < document
"""
import json
import sys

from ckanext.dcat.processors import RDFParser


def main() -> None:
    profile, rdf_format = sys.argv[1], sys.argv[2]
    parser = RDFParser(profiles=[profile])
    parser.parse(sys.stdin.read(), _format=rdf_format)
    for dataset in parser.datasets():
        print(json.dumps(dataset, default=str, sort_keys=True))


if __name__ == "__main__":
    main()
