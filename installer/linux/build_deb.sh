#!/usr/bin/env bash
# Package the bundle as a .deb (after installer/build.py). A .deb rather than an AppImage:
# dpkg-deb comes with Debian/Ubuntu, the fleet's OS, so the package builds from the Debian
# archive alone (appimagetool is downloaded from GitHub), and IT installs, upgrades and
# removes it with the same tools as everything else.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/fieldsupport/__init__.py")"
ARCH="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
STAGE="$ROOT/build/deb/fieldsupport_${VERSION}_${ARCH}"
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
         "$STAGE/usr/share/icons/hicolor/scalable/apps"
cp -a "$ROOT/build/dist/fieldsupport" "$STAGE/opt/fieldsupport"
ln -s /opt/fieldsupport/fieldsupport "$STAGE/usr/bin/fieldsupport"
cp "$ROOT/installer/linux/fieldsupport.desktop" "$STAGE/usr/share/applications/"
cp "$ROOT/resources/icons/fieldsupport.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/"
SIZE_KB="$(du -sk "$STAGE/opt" | cut -f1)"
# The C library comes from the system: require the newest glibc symbol version any bundled
# binary uses (the build machine's), so dpkg refuses an older system instead of the app
# failing to start. OpenGL, the display, font, GLib, D-Bus, sound-client, Kerberos and
# OpenSSL libraries also come from the system (installer/bundle_checks.py FROM_THE_SYSTEM,
# whose "libraries" check fails the build on a system library missing from that list).
GLIBC="$(find "$STAGE/opt" -type f \( -name '*.so*' -o -name fieldsupport \) -exec objdump -T {} + \
  2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -n 1 | cut -d_ -f2 || true)"
if [ -z "$GLIBC" ]; then  # without this check, "libc6 (>= )" and a dpkg-deb parse error
  echo "build_deb.sh: found no glibc symbol version in the bundle (is objdump, from binutils," \
    "installed?)" >&2
  exit 1
fi
DEPENDS="$(python3 "$ROOT/installer/bundle_checks.py" --deb-depends)"
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: fieldsupport
Version: ${VERSION}
Architecture: ${ARCH}
Maintainer: FieldSupport <support@fieldsupport.example>
Installed-Size: ${SIZE_KB}
Depends: libc6 (>= ${GLIBC}), ${DEPENDS}
Section: misc
Priority: optional
Description: offline-first field technical support
 Case files, site visits, measurements, photos and signed PDF service reports,
 synchronised with the central case server when a connection exists.
CONTROL
dpkg-deb --root-owner-group --build "$STAGE" "$ROOT/build/fieldsupport_${VERSION}_${ARCH}.deb"
