#!/usr/bin/env bash
# Synthesises the hotline's prompts and hold music into freeswitch-conf/hotline_sounds/ (8 kHz mono 16-bit PCM WAV,
# what FreeSWITCH plays to G.711 callers without resampling). Run it after changing a prompt's text; the WAVs are
# kept in the repository, so installing FreeSWITCH's configuration needs neither espeak-ng nor sox.
#
#   scripts/make-prompts.sh            every prompt of freeswitch-conf/hotline_sounds/prompts.tsv, and the hold music
#   scripts/make-prompts.sh PATH...    only these prompts (paths as in the table, e.g. ivr/digits/3.wav)
#   scripts/make-prompts.sh --moh      only the hold music (moh/hotline_moh.wav, the local_stream "moh")
#
# The voice is Debian's espeak-ng Mandarin (cmn). Its variant cmn-latn-pinyin is used: the plain cmn voice reads
# the pinyin of many characters as English letters (espeak-ng 1.51). Numbers of three digits or more (hotline
# numbers such as 12345) are read digit by digit, 1 as 幺, as hotline numbers are said in China. A synthetic voice
# is a stand-in: replace any file with a studio recording of the same text under the same name (8 kHz mono WAV).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=freeswitch-conf/hotline_sounds
TABLE="$OUT/prompts.tsv"
VOICE="${HOTLINE_PROMPT_VOICE:-cmn-latn-pinyin}"
SPEED="${HOTLINE_PROMPT_SPEED:-170}"

for tool in espeak-ng sox perl; do
  if ! command -v "$tool" >/dev/null; then
    echo "make-prompts: $tool is missing (apt-get install espeak-ng sox)" >&2
    exit 1
  fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# sox: -R repeatable output (same input, same bytes), -D no dither; 8 kHz mono 16-bit signed PCM.
FORMAT=(-D -r 8000 -c 1 -b 16 -e signed-integer)

# Hotline numbers digit by digit (12345 -> 幺二三四五); shorter numbers ("按1", "5分") espeak-ng says right.
speakable() {
  perl -Mutf8 -CSA -e 'my $t = $ARGV[0]; my @d = qw(零 幺 二 三 四 五 六 七 八 九);
    $t =~ s/(\d{3,})/join("", map { $d[$_] } split(\/\/, $1))/ge; binmode STDOUT, ":utf8"; print $t' "$1"
}

prompt() {
  local file="$1" text="$2" extra="${3:-}" dest="$OUT/$1"
  mkdir -p "$(dirname "$dest")"
  espeak-ng -v "$VOICE" -s "$SPEED" -w "$tmp/raw.wav" "$(speakable "$text")"
  # Trim the synthesiser's leading and trailing silence (prompts are chained with file_string://), keep 80 ms.
  sox -R "$tmp/raw.wav" "${FORMAT[@]}" "$tmp/speech.wav" \
    silence 1 0.01 0.3% reverse silence 1 0.01 0.3% reverse gain -n -3 pad 0.02 0.08
  if [ "$extra" = "beep" ]; then
    # The tone after which the caller speaks ("请在提示音后留言"): 0.4 s of silence, then 0.5 s at 1 kHz.
    sox -R -n "${FORMAT[@]}" "$tmp/beep.wav" synth 0.5 sine 1000 gain -8 fade 0.01 0.5 0.01 pad 0.4 0
    sox -R "$tmp/speech.wav" "$tmp/beep.wav" "${FORMAT[@]}" "$dest"
  else
    cp "$tmp/speech.wav" "$dest"
  fi
  echo "$file  $(soxi -D "$dest" | cut -c1-4) s  $text"
}

# Hold music: a short, quiet pentatonic phrase of plucked notes over a soft fifth, looped by local_stream.
moh() {
  local dest="$OUT/moh/hotline_moh.wav" notes=() i=0 n
  mkdir -p "$(dirname "$dest")"
  for n in E4 G4 A4 C5 A4 G4 E4 D4 E4 G4 A4 D5 C5 A4 G4 C4; do
    sox -R -n "${FORMAT[@]}" "$tmp/note$i.wav" synth 0.5 pluck "$n" fade 0 0.5 0.35
    notes+=("$tmp/note$i.wav")
    i=$((i + 1))
  done
  sox -R "${notes[@]}" "${FORMAT[@]}" "$tmp/melody.wav"
  sox -R -n "${FORMAT[@]}" "$tmp/pad.wav" synth 8 sine C3 sine G3 remix - gain -n -18 tremolo 0.25 30
  sox -R -m "$tmp/melody.wav" "$tmp/pad.wav" "${FORMAT[@]}" "$tmp/mix.wav"
  sox -R "$tmp/mix.wav" "${FORMAT[@]}" "$dest" reverb 40 50 60 gain -n -9 fade 0.3 8 0.6
  echo "moh/hotline_moh.wav  $(soxi -D "$dest" | cut -c1-4) s  (hold music)"
}

only=("$@")
if [ "${only[*]:-}" = "--moh" ]; then
  moh
  exit 0
fi
found=0
while IFS=$'\t' read -r file text extra || [ -n "${file:-}" ]; do
  case "$file" in '' | '#'*) continue ;; esac
  if [ ${#only[@]} -gt 0 ]; then
    want=0
    for o in "${only[@]}"; do [ "$o" = "$file" ] && want=1; done
    [ "$want" = 1 ] || continue
  fi
  prompt "$file" "$text" "$extra"
  found=$((found + 1))
done <"$TABLE"
if [ ${#only[@]} -eq 0 ]; then
  moh
elif [ "$found" -lt ${#only[@]} ]; then
  echo "make-prompts: not all of ${only[*]} are in $TABLE" >&2
  exit 1
fi
