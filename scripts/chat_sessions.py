"""Print JDDC chat sessions with utterance ids, for labelling customer utterances by hand.

Usage: python scripts/chat_sessions.py FILE FIRST LAST   (session numbers, 0-based, inclusive)
Each line: session number, utterance index, C (customer) or A (agent), the text.
"""

import sys
from itertools import groupby


def sessions(path: str) -> list[tuple[str, list[tuple[int, str]]]]:
    with open(path, encoding="utf-8") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    return [(sid, [(int(r[2]), r[6]) for r in group]) for sid, group in groupby(rows, key=lambda r: r[0])]


def main() -> None:
    path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for number, (_, turns) in enumerate(sessions(path)):
        if first <= number <= last:
            print(f"=== {number}")
            for index, (agent, text) in enumerate(turns):
                print(f"{number}.{index} {'A' if agent else 'C'} {text[:300]}")


if __name__ == "__main__":
    main()
