# Sourced by scripts/install: the manifest of what it wrote, writing by plan, and --uninstall.
# The manifest (<prefix>/share/pontoon/install-manifest) has one tab-separated line per thing written,
# with paths as installed (without --destdir):
#   dir PATH -                   a directory the install made (removed on uninstall when empty)
#   file PATH SHA256             a file, with the checksum of what was written
#   link PATH TARGET             a symbolic link
#   displaced PATH BACKUP        a file that was there before (--force): BACKUP goes back to PATH
# A file is only ever removed while it is still what was written: one changed since is kept and
# named (--uninstall --force removes it too).
# Expects: destdir, manifest, force, plan (install_plan), die.

manifest_lines=()
declare -A manifest_kind=() manifest_value=()

read_manifest() {
    manifest_lines=() manifest_kind=() manifest_value=()
    [[ -f $destdir$manifest ]] || return 0
    local kind path value
    while IFS=$'\t' read -r kind path value; do
        [[ $kind =~ ^(dir|file|link|displaced)$ && $path == /* && -n $value ]] \
            || die "$destdir$manifest is not an install manifest (line \"$kind	$path	$value\")"
        manifest_lines+=("$kind	$path	$value")
        [[ $kind == dir ]] || { manifest_kind[$path]=$kind; manifest_value[$path]=$value; }
    done <"$destdir$manifest"
}

checksum() { sha256sum <"$1" | cut -d' ' -f1; }

# Whether PATH (under destdir) is still exactly what the manifest says was written there.
unchanged() {
    local dest=$destdir$1
    case ${manifest_kind[$1]:-} in
        file) [[ -f $dest && ! -L $dest && $(checksum "$dest") == "${manifest_value[$1]}" ]] ;;
        link) [[ -L $dest && $(readlink "$dest") == "${manifest_value[$1]}" ]] ;;
        *) return 1 ;;
    esac
}

# This run's writes, newest last, undone in reverse if a later step fails.
written=()
rollback() {
    local i kind path value
    for ((i = ${#written[@]} - 1; i >= 0; i--)); do
        IFS=$'\t' read -r kind path value <<<"${written[i]}"
        case $kind in
            file|link) rm -f -- "$destdir$path" ;;
            displaced) mv -f -T -- "$destdir$value" "$destdir$path" ;;
            dir) rmdir -- "$destdir$path" 2>/dev/null ;;
        esac
    done
}
fail() { rollback; die "$* (nothing installed: what this run wrote is removed)"; }

# mkdir -p that records each directory it makes.
make_parents() {
    local dir=$1 missing=() each
    while [[ $dir != / && ! -d $destdir$dir ]]; do missing=("$dir" "${missing[@]}"); dir=$(dirname "$dir"); done
    [[ -z $destdir || -d $destdir ]] || mkdir -p -- "$destdir" || return 1
    for each in "${missing[@]}"; do
        mkdir -m 0755 -- "$destdir$each" || return 1
        written+=("dir	$each	-")
    done
}

install_plan() {
    read_manifest
    local entry source target mode dest conflicts=()
    for entry in "${plan[@]}"; do
        IFS='|' read -r source target mode <<<"$entry"
        dest=$destdir$target
        [[ -e $dest || -L $dest ]] || continue
        [[ -d $dest && ! -L $dest ]] && die "$dest is a directory; it would be replaced by a file: remove it or pick another --prefix"
        unchanged "$target" && continue
        if ! $force; then
            if [[ -n ${manifest_kind[$target]:-} ]]; then conflicts+=("$dest (changed since it was installed)"); else conflicts+=("$dest"); fi
        elif [[ -z ${manifest_kind[$target]:-} && ( -e $dest.pontoon-displaced || -L $dest.pontoon-displaced ) ]]; then
            die "$dest.pontoon-displaced already exists: --force would move $dest there"
        fi
    done
    ((${#conflicts[@]} == 0)) || die "not installed: these files were not written by scripts/install (--force moves them aside): ${conflicts[*]}"

    local temporary
    for entry in "${plan[@]}"; do
        IFS='|' read -r source target mode <<<"$entry"
        dest=$destdir$target
        make_parents "$(dirname "$target")" || fail "cannot make the directory of $dest"
        if [[ ( -e $dest || -L $dest ) && -z ${manifest_kind[$target]:-} ]]; then
            mv -T -- "$dest" "$dest.pontoon-displaced" || fail "cannot move $dest aside"
            written+=("displaced	$target	$target.pontoon-displaced")
        fi
        # Written beside the destination and renamed over it: a running pontoon or a reader of the
        # snippet sees the old file or the new one, never half of one.
        temporary=$(dirname "$dest")/.${target##*/}.pontoon-install
        if [[ $source == link:* ]]; then
            ln -sfn -- "${source#link:}" "$temporary" && mv -f -T -- "$temporary" "$dest" \
                || { rm -f -- "$temporary"; fail "cannot link $dest"; }
            written+=("link	$target	${source#link:}")
        else
            cp -- "$source" "$temporary" && chmod "$mode" "$temporary" && mv -f -T -- "$temporary" "$dest" \
                || { rm -f -- "$temporary"; fail "cannot write $dest"; }
            written+=("file	$target	$(checksum "$dest")")
        fi
    done

    # The new manifest: what earlier installs wrote and this one did not write again, then this run's.
    make_parents "$(dirname "$manifest")" || fail "cannot make the directory of $destdir$manifest"
    local line kind path value
    local -A rewritten=()
    for line in "${written[@]}"; do IFS=$'\t' read -r kind path value <<<"$line"; rewritten[$path]=1; done
    {
        for line in "${manifest_lines[@]}"; do
            IFS=$'\t' read -r kind path value <<<"$line"
            # A displaced file stays listed: it goes back when what replaced it is removed.
            [[ $kind == dir || $kind == displaced || -z ${rewritten[$path]:-} ]] && printf '%s\n' "$line"
        done
        printf '%s\n' "${written[@]}"
    } >"$destdir$manifest.new" && mv -f -T -- "$destdir$manifest.new" "$destdir$manifest" \
        || { rm -f -- "$destdir$manifest.new"; fail "cannot write the manifest $destdir$manifest"; }
}

uninstall_manifest() {
    [[ -f $destdir$manifest ]] || die "nothing to uninstall: no manifest at $destdir$manifest (was it installed with this --prefix${destdir:+ and --destdir}?)"
    read_manifest
    local i kind path value dest kept=() remaining=() notes=()
    for ((i = ${#manifest_lines[@]} - 1; i >= 0; i--)); do
        IFS=$'\t' read -r kind path value <<<"${manifest_lines[i]}"
        dest=$destdir$path
        case $kind in
            file|link)
                if [[ ! -e $dest && ! -L $dest ]]; then
                    :   # already gone
                elif unchanged "$path" || $force; then
                    rm -f -- "$dest" || die "cannot remove $dest"
                else
                    kept+=("$dest") remaining=("${manifest_lines[i]}" "${remaining[@]}")
                fi ;;
            displaced)
                if [[ -e $dest || -L $dest ]]; then
                    kept+=("$destdir$value (the file it replaced: $dest is still there)") remaining=("${manifest_lines[i]}" "${remaining[@]}")
                else
                    mv -T -- "$destdir$value" "$dest" || die "cannot put $destdir$value back at $dest"
                fi ;;
        esac
    done
    for ((i = ${#manifest_lines[@]} - 1; i >= 0; i--)); do
        IFS=$'\t' read -r kind path value <<<"${manifest_lines[i]}"
        [[ $kind == dir ]] && remaining=("${manifest_lines[i]}" "${remaining[@]}")
    done
    if ((${#kept[@]})); then
        # Left for a later --uninstall (--force), with the directories that still hold them.
        printf '%s\n' "${remaining[@]}" >"$destdir$manifest"
        die "kept what changed since it was installed: ${kept[*]} (remove by hand, or scripts/install --uninstall --force)"
    fi
    rm -f -- "$destdir$manifest"
    for ((i = ${#manifest_lines[@]} - 1; i >= 0; i--)); do
        IFS=$'\t' read -r kind path value <<<"${manifest_lines[i]}"
        [[ $kind == dir && -d $destdir$path ]] || continue
        rmdir -- "$destdir$path" 2>/dev/null || notes+=("$destdir$path")
    done
    ((${#notes[@]} == 0)) || echo "scripts/install: left directories holding files it did not write: ${notes[*]}" >&2
    echo "uninstalled: everything listed in $destdir$manifest"
}
