# Splits a kernel-lab serial console log into files.
#   awk -v outdir=DIR -f extract-sections.awk console.log
# Sections (see guest/lib.sh):
#   @@KVMNET-LAB-BEGIN <scenario>/<path>@@  ...  @@KVMNET-LAB-END <scenario>/<path> rc=N nl=0|1@@
# Writes DIR/<scenario>/<path> with the exact content, and one line per
# section "<path> rc=N" to DIR/sections.txt.  Other marker lines
# (@@KVMNET-LAB-<WORD> ...@@) go to DIR/markers.txt.  Exit status 1 if a
# section is unterminated, mismatched or has an unsafe path.
function fail(msg) { print "extract-sections: " msg > "/dev/stderr"; bad = 1 }
function flush_pending(with_nl) {
    if (have_pending) {
        if (with_nl) printf "%s\n", pending > file
        else printf "%s", pending > file
    }
    have_pending = 0
}
BEGIN { cur = ""; bad = 0; have_pending = 0; nsec = 0 }
{ sub(/\r$/, "") }
/^@@KVMNET-LAB-BEGIN [^ @]+@@$/ {
    path = substr($0, 20, length($0) - 21)
    if (cur != "") { fail("section " cur " not terminated before " path); close(file); cur = "" }
    if (path ~ /(^|\/)\.\.(\/|$)/ || path ~ /^\//) { fail("unsafe path " path); next }
    cur = path
    file = outdir "/" path
    d = file; sub(/\/[^\/]*$/, "", d)
    system("mkdir -p '" d "'")
    printf "" > file
    have_pending = 0
    next
}
/^@@KVMNET-LAB-END [^ @]+ rc=[0-9]+ nl=[01]@@$/ {
    split(substr($0, 18, length($0) - 19), f, " ")
    if (f[1] != cur) { fail("END " f[1] " does not match BEGIN " cur); next }
    flush_pending(f[3] == "nl=1")
    close(file)
    print cur " " f[2] > (outdir "/sections.txt")
    nsec++
    cur = ""
    next
}
cur != "" {
    flush_pending(1)
    pending = $0; have_pending = 1
    next
}
/@@KVMNET-LAB-[A-Z-]+[^@]*@@/ {
    match($0, /@@KVMNET-LAB-[A-Z-]+[^@]*@@/)
    print substr($0, RSTART + 2, RLENGTH - 4) > (outdir "/markers.txt")
}
END {
    if (cur != "") fail("section " cur " not terminated at end of log")
    printf "" >> (outdir "/sections.txt")
    printf "" >> (outdir "/markers.txt")
    print "extract-sections: " nsec " sections" > "/dev/stderr"
    exit bad
}
