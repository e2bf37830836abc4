#!/usr/bin/env bash
# scripts/build-node-image.sh — builds the Docker image a chaos-test Keel member runs in, without a registry:
# a jlink'ed Java runtime, the shared libraries its binaries need (found with ldd), static busybox for a shell,
# iptables/ip/tc for fault injection, the keel-server jar with its lib/, and the chaos suite's file-system and
# clock fault tools (chaos/src/main/c compiled with gcc, chaos/src/main/sh). The root file system is
# imported with `docker import` as local/keel-node:<hash of the inputs>; an image with that tag is reused.
# Prints the image name on stdout (and nothing else). Builds the server jar first when it is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/server/target/keel-server.jar"
libdir="$root/server/target/lib"
say() { echo "build-node-image: $*" >&2; }

if [ ! -f "$jar" ] || [ ! -d "$libdir" ]; then
  say "building the server jar (mvn package -pl server -am -DskipTests) ..."
  (cd "$root" && mvn -B -q -DskipTests -pl server -am package) >&2
fi
command -v docker >/dev/null || { say "docker is missing: run scripts/install-docker.sh"; exit 1; }
docker info >/dev/null 2>&1 || { say "docker engine is not running: run scripts/install-docker.sh"; exit 1; }
[ -x /bin/busybox ] || { say "/bin/busybox is missing (apt-get install busybox-static)"; exit 1; }

# Content only (not paths, not the jar's entry times), so the tag is the same however the script is invoked
# and a rebuilt but unchanged server jar reuses the image.
fsdir="$root/chaos/src/main"
hash="$( { (cd "$libdir" && sha256sum -- *.jar); unzip -p "$jar" | sha256sum; sha256sum < "$root/scripts/build-node-image.sh";
          cat "$fsdir"/c/*.c "$fsdir"/sh/*.sh | sha256sum;
          java -version 2>&1; } | sha256sum | cut -c1-16)"
image="local/keel-node:$hash"
if docker image inspect "$image" >/dev/null 2>&1; then
  say "$image is up to date"
  echo "$image"
  exit 0
fi

work="$(mktemp -d /tmp/keel-node-image.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,usr/lib/x86_64-linux-gnu,usr/sbin,lib64,etc,opt/keel,data,tmp,proc,sys,dev,run,var/lib}
chmod 1777 "$rootfs/tmp"
ln -s usr/lib "$rootfs/lib"
ln -s bin "$rootfs/usr/bin"
ln -s ../usr/sbin "$rootfs/sbin"

say "jlink runtime ..."
jlink --output "$rootfs/opt/java" --strip-debug --no-man-pages --no-header-files --compress=2 \
  --add-modules java.base,java.logging,java.management,java.naming,java.net.http,java.security.jgss,java.sql,java.xml,java.desktop,java.instrument,jdk.crypto.ec,jdk.unsupported,jdk.management,jdk.naming.dns
# Peers come and go in a partition: do not cache DNS answers (the JDK caches failed lookups for 10 s).
sec="$rootfs/opt/java/conf/security/java.security"
sed -i -e 's/^#\?networkaddress.cache.ttl=.*/networkaddress.cache.ttl=1/' \
       -e 's/^#\?networkaddress.cache.negative.ttl=.*/networkaddress.cache.negative.ttl=0/' "$sec"
grep -q '^networkaddress.cache.ttl=1' "$sec" || echo 'networkaddress.cache.ttl=1' >> "$sec"

say "keel-server jar and libs ..."
cp "$jar" "$rootfs/opt/keel/"
cp -r "$libdir" "$rootfs/opt/keel/lib"

say "file-system fault tools (chaos/src/main/c, chaos/src/main/sh) ..."
if ! command -v gcc >/dev/null; then
  say "gcc is missing: installing it (apt-get install -y gcc)"
  apt-get install -y gcc >&2 || { say "cannot install gcc"; exit 1; }
fi
gcc -O2 -Wall -shared -fPIC -o "$rootfs/opt/keel/libkeelfsledger.so" "$fsdir/c/fsledger.c" -ldl
gcc -O2 -Wall -o "$rootfs/opt/keel/keel-fsrevert" "$fsdir/c/fsrevert.c"
gcc -O2 -Wall -shared -fPIC -o "$rootfs/opt/keel/libkeelclock.so" "$fsdir/c/clockshift.c" -ldl
cp "$fsdir/sh/keel-node-run.sh" "$rootfs/opt/keel/keel-node-run.sh"
chmod 755 "$rootfs/opt/keel/keel-node-run.sh" "$rootfs/opt/keel/keel-fsrevert"
mkdir -p "$rootfs/var/lib/keel-fs"

say "busybox, iptables, ip, tc ..."
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
  [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
done
cp /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi "$rootfs/usr/sbin/"
for n in iptables iptables-save iptables-restore; do ln -sf xtables-nft-multi "$rootfs/usr/sbin/$n"; done
for n in iptables-legacy iptables-legacy-save iptables-legacy-restore; do ln -sf xtables-legacy-multi "$rootfs/usr/sbin/$n"; done
cp -r /usr/lib/x86_64-linux-gnu/xtables "$rootfs/usr/lib/x86_64-linux-gnu/"
rm -f "$rootfs/bin/ip" "$rootfs/bin/tc"
cp /bin/ip "$rootfs/usr/sbin/ip"
[ -x /usr/sbin/tc ] && cp /usr/sbin/tc "$rootfs/usr/sbin/tc"

say "shared libraries (ldd) ..."
unzip -q -o -j "$libdir"/rocksdbjni-*.jar 'librocksdbjni-linux64.so' -d "$work/native" 2>/dev/null || true
bins=("$rootfs"/opt/java/bin/* "$rootfs"/opt/java/lib/*.so "$rootfs"/opt/java/lib/server/*.so
      "$rootfs"/usr/sbin/* "$rootfs"/usr/lib/x86_64-linux-gnu/xtables/*.so "$work"/native/*.so
      "$rootfs"/opt/keel/keel-fsrevert "$rootfs"/opt/keel/libkeelfsledger.so "$rootfs"/opt/keel/libkeelclock.so)
for b in "${bins[@]}"; do
  [ -f "$b" ] && [ ! -L "$b" ] || continue
  ldd "$b" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib64/{print $1}' 
done | sort -u | while read -r lib; do
  case "$lib" in
    */ld-linux-x86-64.so.2) cp -L "$lib" "$rootfs/lib64/ld-linux-x86-64.so.2" ;;
    *) cp -L "$lib" "$rootfs/usr/lib/x86_64-linux-gnu/$(basename "$lib")" ;;
  esac
done
[ -f "$rootfs/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$rootfs/lib64/"
# The JDK's own libraries find each other through RPATH; nss for name resolution through files and DNS.
for l in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2; do
  [ -f "/usr/lib/x86_64-linux-gnu/$l" ] && cp -L "/usr/lib/x86_64-linux-gnu/$l" "$rootfs/usr/lib/x86_64-linux-gnu/"
done
printf 'root:x:0:0:root:/data:/bin/sh\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\n' > "$rootfs/etc/group"
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"

say "docker import $image ..."
tar -C "$rootfs" -c . | docker import \
  -c 'ENV PATH=/opt/java/bin:/usr/sbin:/bin' \
  -c 'WORKDIR /data' \
  -c 'ENTRYPOINT ["/opt/java/bin/java", "-XX:+UseSerialGC", "-Xms64m", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", "/opt/keel/keel-server.jar"]' \
  - "$image" >/dev/null
docker tag "$image" local/keel-node:latest
# Drop the tags of old builds, but keep the 8 newest: runs from other worktrees sharing this Docker engine may
# still be about to start containers from theirs (an image a container still uses stays anyway).
docker images --format '{{.Repository}}:{{.Tag}}' local/keel-node | grep -vx -e "$image" -e local/keel-node:latest \
  | tail -n +9 | xargs -r docker rmi >/dev/null 2>&1 || true
say "built $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "$image"
