#!/bin/sh
# help2man.sh VMLAB CMD VERSION - the man page vmlab-CMD(1) made from
# `vmlab CMD --help` (and the command's line in `vmlab --help`), so the page
# says what --help says.
set -e
vmlab=$1 cmd=$2 version=$3
summary=$("$vmlab" --help | awk -v c="$cmd" '$1 == c { $1 = ""; sub(/^ +/, ""); print }')
upper=$(echo "$cmd" | tr a-z A-Z)
# troff: a backslash is \e; a line starting with . or ' needs \& in front
esc() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
echo ".TH VMLAB-$upper 1 \"\" \"vmlab $version\" \"User Commands\""
echo ".SH NAME"
echo "vmlab-$cmd \\- $summary" | sed -e 's/\\\([^-]\)/\\e\1/g'
echo ".SH DESCRIPTION"
echo ".nf"
"$vmlab" "$cmd" --help | esc
echo ".fi"
echo ".SH SEE ALSO"
echo ".BR vmlab (1)"
