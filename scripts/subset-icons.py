"""Material Symbols Outlined cut down to the icons the web UI uses (run by scripts/build-icons.ts).

Reads candidate names on stdin, keeps those that are ligatures of the font, subsets the font to
them (their glyphs, the letters that spell them and the ligature lookups; no other icon) and pins
the variable axes to the one style the UI draws (weight 400, outlined, grade 0, 24 px optical
size). Writes the woff2 to argv[2] and prints the names the written font really has as JSON.
"""
import json
import sys

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer


def ligatures(font):
    """Every ligature of the font: the name it spells -> the glyph it becomes."""
    letters = {glyph: chr(code) for code, glyph in font.getBestCmap().items()}
    found = {}
    for lookup in font['GSUB'].table.LookupList.Lookup:
        for table in lookup.SubTable:
            if table.LookupType == 7:
                table = table.ExtSubTable
            if table.LookupType != 4:
                continue
            for first, entries in table.ligatures.items():
                for entry in entries:
                    if first in letters and all(c in letters for c in entry.Component):
                        found[letters[first] + ''.join(letters[c] for c in entry.Component)] = entry.LigGlyph
    return found


source, target = sys.argv[1], sys.argv[2]
font = TTFont(source)
known = ligatures(font)
names = sorted(name for name in set(sys.stdin.read().split()) if name in known)

options = subset.Options()
options.layout_features = ['rlig']  # the font spells its icons with required ligatures
options.layout_closure = False  # or every icon spelled with the kept letters would come along
options.flavor = 'woff2'
subsetter = subset.Subsetter(options)
subsetter.populate(glyphs=[known[name] for name in names], text=''.join(sorted(set(''.join(names)))))
subsetter.subset(font)
font = instancer.instantiateVariableFont(font, {'FILL': 0, 'GRAD': 0, 'opsz': 24, 'wght': 400})
font.flavor = 'woff2'
font.save(target)

print(json.dumps(sorted(name for name in ligatures(TTFont(target)) if name in names)))
