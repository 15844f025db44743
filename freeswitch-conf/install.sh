#!/bin/sh
# Installs the 12345 hotline configuration (freeswitch-conf/ and dialplans/) into a stock FreeSWITCH 1.10 conf dir.
#
#   sh freeswitch-conf/install.sh [--from-vanilla DIR] [CONF_DIR]
#
# CONF_DIR defaults to /etc/freeswitch (the Debian/SignalWire package layout; /usr/local/freeswitch/conf for a source
# build). With --from-vanilla DIR, an empty CONF_DIR is first filled from DIR (a stock "vanilla" configuration, e.g.
# /usr/share/freeswitch/conf/vanilla in the Debian image layout). docker-compose.yml does not need it: its image
# keeps the stock configuration in /etc/freeswitch, which Docker copies into the new configuration volume.
# Safe to run again: files are copied over, stock files it replaces are kept once as NAME.hotline-orig, the stock
# SIP profiles on ports 5060/5080 are renamed NAME.xml.hotline-disabled, vars.xml gets its two include lines once,
# and switch.conf.xml's (commented-out) RTP port range is set from hotline_rtp_start_port/hotline_rtp_end_port.
# The sounds tree (hotline_sounds/: prompts, hold music) is copied over on every run: keep studio recordings in
# freeswitch-conf/hotline_sounds/ or in a directory of their own named by hotline_sounds_dir.
# POSIX sh and busybox tools only, so it also runs inside minimal FreeSWITCH images.
set -eu

vanilla=""
if [ "${1:-}" = "--from-vanilla" ]; then
  vanilla="${2:?--from-vanilla needs a directory}"
  shift 2
fi
conf="${1:-/etc/freeswitch}"
src="$(cd "$(dirname "$0")" && pwd)"
dialplans="${HOTLINE_DIALPLANS_DIR:-$src/../dialplans}"

say() { echo "[hotline-install] $*"; }

if [ -n "$vanilla" ] && [ ! -f "$conf/freeswitch.xml" ]; then
  say "filling $conf from $vanilla"
  mkdir -p "$conf"
  cp -a "$vanilla/." "$conf/"
fi
for f in freeswitch.xml vars.xml autoload_configs/sofia.conf.xml; do
  if [ ! -f "$conf/$f" ]; then
    say "$conf/$f is missing: $conf is not a FreeSWITCH configuration directory" >&2
    exit 1
  fi
done
if [ ! -f "$dialplans/hotline_inbound.xml" ]; then
  say "no dialplans in $dialplans (set HOTLINE_DIALPLANS_DIR)" >&2
  exit 1
fi

# Copies $1 to $2, keeping a stock file that is replaced for the first time as $2.hotline-orig.
install_file() {
  if [ -f "$2" ] && [ ! -f "$2.hotline-orig" ] && ! grep -q "12345 hotline" "$2"; then
    cp -p "$2" "$2.hotline-orig"
  fi
  cp "$1" "$2"
}

mkdir -p "$conf/sip_profiles/hotline_carrier" "$conf/directory" "$conf/dialplan" "$conf/hotline_sounds"
install_file "$src/hotline_vars.xml" "$conf/hotline_vars.xml"
install_file "$src/hotline_env.xml" "$conf/hotline_env.xml"
install_file "$src/autoload_configs/event_socket.conf.xml" "$conf/autoload_configs/event_socket.conf.xml"
install_file "$src/autoload_configs/acl.conf.xml" "$conf/autoload_configs/acl.conf.xml"
install_file "$src/autoload_configs/local_stream.conf.xml" "$conf/autoload_configs/local_stream.conf.xml"
install_file "$src/sip_profiles/hotline_carrier.xml" "$conf/sip_profiles/hotline_carrier.xml"
install_file "$src/sip_profiles/hotline_agents.xml" "$conf/sip_profiles/hotline_agents.xml"
for f in "$src"/sip_profiles/hotline_carrier/*.xml; do
  # An edited gateway file is the operator's: copy the placeholder only where none exists.
  [ -f "$conf/sip_profiles/hotline_carrier/$(basename "$f")" ] || cp "$f" "$conf/sip_profiles/hotline_carrier/"
done
install_file "$src/directory/hotline_agents.xml" "$conf/directory/hotline_agents.xml"
for f in "$dialplans"/*.xml; do
  install_file "$f" "$conf/dialplan/$(basename "$f")"
done
# The prompts (ivr/..., the apology) and the hold music (moh/), the whole tree; files of the same name are replaced.
cp -R "$src/hotline_sounds/." "$conf/hotline_sounds/"

# The stock profiles "internal" (5060) and "external" (5080) would take the hotline profiles' ports.
for p in internal external internal-ipv6 external-ipv6; do
  if [ -f "$conf/sip_profiles/$p.xml" ]; then
    mv "$conf/sip_profiles/$p.xml" "$conf/sip_profiles/$p.xml.hotline-disabled"
    say "disabled stock SIP profile $p"
  fi
done

# switch.conf.xml: the RTP port range from hotline_rtp_start_port / hotline_rtp_end_port (the stock file has both
# params commented out, i.e. 16384-32768).
sw="$conf/autoload_configs/switch.conf.xml"
if [ -f "$sw" ] && ! grep -q 'hotline_rtp_start_port' "$sw"; then
  if grep -q '<!-- *<param name="rtp-start-port"' "$sw" && grep -q '<!-- *<param name="rtp-end-port"' "$sw"; then
    cp -p "$sw" "$sw.hotline-orig"
    sed -e 's|<!-- *<param name="rtp-start-port" value="[0-9]*"/> *-->|<param name="rtp-start-port" value="$${hotline_rtp_start_port}"/>|' \
      -e 's|<!-- *<param name="rtp-end-port" value="[0-9]*"/> *-->|<param name="rtp-end-port" value="$${hotline_rtp_end_port}"/>|' \
      "$sw.hotline-orig" >"$sw"
    say "switch.conf.xml: RTP ports now from hotline_rtp_start_port..hotline_rtp_end_port"
  else
    say "switch.conf.xml has its own rtp-start-port/rtp-end-port: left as it is" >&2
  fi
fi

# vars.xml: include hotline_vars.xml then hotline_env.xml just before the closing </include>.
if ! grep -q 'data="hotline_vars.xml"' "$conf/vars.xml"; then
  tmp="$conf/vars.xml.hotline-tmp"
  awk '
    { line[NR] = $0; if ($0 ~ /<\/include>/) last = NR }
    END {
      for (i = 1; i <= NR; i++) {
        if (i == last) {
          print "  <X-PRE-PROCESS cmd=\"include\" data=\"hotline_vars.xml\"/>"
          print "  <X-PRE-PROCESS cmd=\"include\" data=\"hotline_env.xml\"/>"
        }
        print line[i]
      }
      if (!last) exit 1
    }' "$conf/vars.xml" >"$tmp"
  cp -p "$conf/vars.xml" "$conf/vars.xml.hotline-orig"
  mv "$tmp" "$conf/vars.xml"
  say "vars.xml now includes hotline_vars.xml and hotline_env.xml"
fi

say "installed into $conf; load with 'fs_cli -x reloadxml' and restart mod_sofia, or restart FreeSWITCH"
