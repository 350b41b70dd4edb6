function __sou_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sou_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __sou_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __sou_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __sou_parse_tokens -S
    set -l unparsed_tokens (__sou_tokens -pc)
    switch $unparsed_tokens[1]
    case 'sou'
        __sou_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'search'
            __sou_parse_subcommand -r 1 'e=+' 'i/index=' 'no-cache' 'hidden' 't/type=+' 'T/type-not=+' 'g/glob=+' 'type-list' 'encoding=' 'no-join-lines' 'fold-variants' 'n/limit=' 'offset=' 'c/count' 'l/files' '0/null' 'q/quiet' 'json' 'vimgrep' 'A/after-context=' 'B/before-context=' 'C/context=' 'explain' 'k1=' 'b=' 'color=' 'm/max-lines=' 'M/max-columns=' 'batch=' 'version' 'h/help'
        case 'show'
            __sou_parse_subcommand 1 'i/index=' 'lines=' 'N/line-number' 'version' 'h/help'
        case 'index'
            __sou_parse_subcommand -r 1 'o/output=' 'jsonl' 'id-field=' 'text-field=+' 'title-field=' 'jobs=' 'rebuild' 'memory=' 'wait' 'merge-factor=' 'no-store' 'force' 'quiet' 'json' 'hidden' 'encoding=' 't/type=+' 'T/type-not=+' 'g/glob=+' 'v/verbose' 'no-join-lines' 'fold-variants' 'version' 'h/help'
        case 'add'
            __sou_parse_subcommand -r 1 'i/index=' 'wait' 'merge-factor=' 'id-field=' 'text-field=+' 'title-field=' 'jsonl' 'jobs=' 'memory=' 'quiet' 'version' 'h/help'
        case 'delete'
            __sou_parse_subcommand -r 1 'i/index=' 'wait' 'merge-factor=' 'keys-from=' 'quiet' 'version' 'h/help'
        case 'merge'
            __sou_parse_subcommand 1 'max-segments=' 'wait' 'j/jobs=' 'quiet' 'version' 'h/help'
        case 'tokenize'
            __sou_parse_subcommand 1 'file=' 'encoding=' 'json' 'no-join-lines' 'fold-variants' 'version' 'h/help'
        case 'stats'
            __sou_parse_subcommand 1 'json' 'open-time' 'version' 'h/help'
        case 'check'
            __sou_parse_subcommand 1 'version' 'h/help'
        case 'bench'
            __sou_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'index'
                __sou_parse_subcommand -r 1 'runs=' 'jobs=' 'scale=' 'json' 'baseline=' 'max-regression=' 'jsonl' 'id-field=' 'text-field=+' 'title-field=' 'hidden' 'no-store' 'no-join-lines' 'fold-variants' 'memory=' 'version' 'h/help'
            case 'search'
                __sou_parse_subcommand 1 'queries=' 'runs=' 'n/limit=' 'snippets' 'json' 'version' 'h/help'
            case 'tokenize'
                __sou_parse_subcommand -r 1 'runs=' 'no-join-lines' 'fold-variants' 'version' 'h/help'
            end
        case 'watch'
            __sou_parse_subcommand -r 1 'hidden' 't/type=+' 'T/type-not=+' 'g/glob=+' 'encoding=' 'no-join-lines' 'fold-variants' 'v/verbose' 'version' 'h/help'
        case 'help'
            __sou_parse_subcommand -r 1 'version'
        end
    end
end

function __sou_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __sou_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __sou_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __sou_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__sou_tokens -p)
    if test -z "$(__sou_tokens -t)"
        set -l index (count (__sou_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'sou' -f
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'search' -d 'Search files and folders, or an index: exact phrases, AND/OR/NOT, ranked by BM25.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'show' -d 'Print a document\'s stored text, or some of its lines, from an index.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'index' -d 'Build an index file from folders, text/HTML files, JSON Lines or stdin, or bring it up to date.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'add' -d 'Add documents to an index, replacing those with the same keys (upsert); nothing is deleted.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'delete' -d 'Delete documents from an index by key.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'merge' -d 'Merge an index\'s segments (into one by default) and drop deleted documents.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'tokenize' -d 'Show the tokens the analyzer makes of a text: position, term, byte range, kind.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'stats' -d 'Show an index\'s documents, terms by kind, postings, positions, section sizes and configuration.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'check' -d 'Verify an index completely: the commit chain, and every checksum and section of every segment.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'bench' -d 'Measure building an index, query latency, and the analyzer\'s throughput.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'watch' -d 'Keep the cached index of `sou search QUERY PATH...` up to date as files change, so that such searches skip checking the folders.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search"' -s 'e' -d 'The query, also one that starts with \'-\' (every argument is then a PATH); several -e: any of them matches (OR).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" i index' -s 'i' -l 'index' -d 'Search this index file instead of PATHs (default without PATH: $SOU_INDEX, else ./corpus.sou).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" no-cache' -l 'no-cache' -d 'With PATHs: index them in memory for this search only; write no cache.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" hidden' -l 'hidden' -d 'With PATHs: also search hidden files and folders (and .git).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search"' -s 't' -l 'type' -d 'With PATHs: only search files of this type found in folders (repeatable; --type-list lists the types).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search"' -s 'T' -l 'type-not' -d 'With PATHs: do not search files of this type found in folders (repeatable).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search"' -s 'g' -l 'glob' -d 'With PATHs: only search files found in folders that match this glob; !GLOB excludes, and a folder it names is not entered (repeatable; as ripgrep: a glob without / matches the name, one with / the path below the folder given; a trailing / matches folders only).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" type-list' -l 'type-list' -d 'List the file types of -t/-T with their globs, one per line (as rg --type-list), and exit.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" encoding' -l 'encoding' -d 'With PATHs: read text files in this charset instead of detecting it (an ICU converter name: GB18030, Big5, Shift_JIS, EUC-JP, EUC-KR, UTF-16LE, …).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" no-join-lines' -l 'no-join-lines' -d 'With PATHs: do not join CJK runs across soft line breaks.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" fold-variants' -l 'fold-variants' -d 'With PATHs: fold Traditional Chinese to Simplified.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" limit n' -s 'n' -l 'limit' -d 'The most hits to show.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" offset' -l 'offset' -d 'Skip this many of the best hits first (pagination with -n: --offset 10 -n 10 shows hits 11 to 20).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" c count' -s 'c' -l 'count' -d 'Print only the number of matching documents.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" files files-with-matches l' -s 'l' -l 'files' -l 'files-with-matches' -d 'Print only the keys of the hits, best first.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" 0 null' -s '0' -l 'null' -d 'With -l: end each key with a NUL byte instead of a line feed, and print it unescaped when stdout is not a terminal (for xargs -0, as rg -l0: names with spaces and line feeds come through; a byte of a name that is not UTF-8 stays written \\xFF, as in every key).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" q quiet' -s 'q' -l 'quiet' -d 'Print nothing on stdout: the exit status says whether a document matched (0), none did (1) or something went wrong (2), as grep -q and rg -q (warnings and errors still go to stderr).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" json' -l 'json' -d 'One JSON object per hit: rank, key, title, score, matches, total, snippets, and with -A/-B/-C the context lines (with -c: {"total":N}; with -l: rank and key).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" vimgrep' -l 'vimgrep' -d 'One line per match: KEY:LINE:COLUMN:TEXT (column in bytes from 1, as ripgrep), for editors\' quickfix lists.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" A after-context' -s 'A' -l 'after-context' -d 'Show NUM lines of the stored text after each matching line (human and --json output).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" B before-context' -s 'B' -l 'before-context' -d 'Show NUM lines of the stored text before each matching line (human and --json output).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" C context' -s 'C' -l 'context' -d 'Show NUM lines before and after each matching line (-A and -B override it; human and --json output).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" explain' -l 'explain' -d 'Show how each hit\'s score is computed.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" k1' -l 'k1' -d 'BM25 term-frequency saturation k1 (non-negative, finite).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" b' -l 'b' -d 'BM25 length normalization b (0 to 1).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" color' -l 'color' -d 'Color: auto (stdout is a terminal, NO_COLOR unset, TERM set and not dumb), always or never.' -rfka 'auto always never'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" m max-lines' -s 'm' -l 'max-lines' -d 'The most matching lines shown per hit (default: all; -m as rg\'s --max-count).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" M max-columns' -s 'M' -l 'max-columns' -d 'Lines wider than this many terminal columns (a CJK character takes two) are cut around the match; 0: no limit (default 120; --vimgrep: no limit).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" batch' -l 'batch' -d 'Run every query of FILE (- for stdin; one per line; for a TSV the first column, a query<TAB>… header skipped; UTF-8, at most 1 MiB a line and 256 MiB in all, a NUL byte is an error) and print one JSON line per query (with -c/-l: only the counts/keys).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou show" i index' -s 'i' -l 'index' -d 'The index file (default: $SOU_INDEX, else ./corpus.sou).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou show" lines' -l 'lines' -d 'Only lines A to B ("12-20", "12-" to the end, "-20" from the start, "12" one line).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou show" N line-number' -s 'N' -l 'line-number' -d 'Prefix each line with its number (LINE:text).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou show" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou show" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" o output' -l 'output' -s 'o' -d 'The index file to write.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" jsonl' -l 'jsonl' -d 'Read the given files (and stdin) as JSON Lines whatever their names.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" id-field' -l 'id-field' -d 'JSON member holding the document key (default: id; lines without it are keyed by their 0-based line number; when given, a file in which no line has it is an error).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index"' -l 'text-field' -d 'JSON member(s) joined into the text, each on its own lines with a gap no phrase spans (repeatable; default: title, body).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" title-field' -l 'title-field' -d 'JSON member holding the title.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" jobs' -l 'jobs' -d 'Threads analyzing documents, 1 to 256 (default: all cores, at most 256). The file is identical for any value.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" rebuild' -l 'rebuild' -d 'Build a new index from scratch even when FILE exists (needed to change analyzer options or --no-store).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" memory' -l 'memory' -d 'In-memory buffer budget in MB: when reached, the buffered documents are written as a segment and the memory is released (default 80).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" wait' -l 'wait' -d 'Wait for another writer of FILE to finish instead of failing.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" merge-factor' -l 'merge-factor' -d 'Segments of similar size are merged this many at a time (default 8; larger keeps more, smaller segments).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" no-store' -l 'no-store' -d 'Do not store document text (no snippets).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" force' -l 'force' -d 'Replace an existing output file even if it is not a Sou index (never a link, device, folder or input, nor a file inside a folder being indexed).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" quiet' -l 'quiet' -d 'No progress line and no summary.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" json' -l 'json' -d 'Print the summary as JSON on stdout.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" hidden' -l 'hidden' -d 'Also walk hidden folders and files (and .git).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" encoding' -l 'encoding' -d 'Read text files in this charset instead of detecting it (an ICU converter name: GB18030, GBK, Big5, Shift_JIS, EUC-JP, EUC-KR, UTF-16LE, …).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index"' -s 't' -l 'type' -d 'Only read files of this type from folders (repeatable; the types are listed below).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index"' -s 'T' -l 'type-not' -d 'Do not read files of this type from folders (repeatable).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index"' -s 'g' -l 'glob' -d 'Only read files from folders that match this glob; !GLOB excludes, and a folder it names is not entered (repeatable; as ripgrep: a glob without / matches the name, one with / the path below the folder given; a trailing / matches folders only).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" v verbose' -l 'verbose' -s 'v' -d 'List every file skipped and why, and the charset of every file not in UTF-8.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" no-join-lines' -l 'no-join-lines' -d 'Do not join CJK runs across soft line breaks.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" fold-variants' -l 'fold-variants' -d 'Fold Traditional Chinese to Simplified.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" i index' -s 'i' -l 'index' -d 'The index file (`sou add` creates it when it does not exist; `sou delete` needs it).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" wait' -l 'wait' -d 'Wait for another writer of the index to finish instead of failing.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" merge-factor' -l 'merge-factor' -d 'Segments of similar size are merged this many at a time.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" id-field' -l 'id-field' -d 'JSON member holding the document key.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add"' -l 'text-field' -d 'JSON member(s) joined into the text, each on its own lines with a gap no phrase spans (repeatable; default: title, body).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" title-field' -l 'title-field' -d 'JSON member holding the title.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" jsonl' -l 'jsonl' -d 'Read the given files as JSON Lines whatever their names.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" jobs' -l 'jobs' -d 'Threads analyzing documents (default: all cores).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" memory' -l 'memory' -d 'In-memory buffer budget in MB: when reached, the buffered documents are written as a segment and the memory is released (default 80).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" quiet' -l 'quiet' -d 'No summary.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" i index' -s 'i' -l 'index' -d 'The index file (`sou add` creates it when it does not exist; `sou delete` needs it).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" wait' -l 'wait' -d 'Wait for another writer of the index to finish instead of failing.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" merge-factor' -l 'merge-factor' -d 'Segments of similar size are merged this many at a time.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" keys-from' -l 'keys-from' -d 'Read keys, one per line, from FILE (- for stdin; UTF-8, at most 1 MiB a line and 256 MiB in all; a NUL byte is an error).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" quiet' -l 'quiet' -d 'No summary.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou merge" max-segments' -l 'max-segments' -d 'Merge until at most N segments remain (default 1).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou merge" wait' -l 'wait' -d 'Wait for another writer of the index to finish instead of failing.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou merge" j jobs' -l 'jobs' -s 'j' -d 'Threads merging postings and re-cutting stored text (1…256; default: all cores). The result does not depend on it.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou merge" quiet' -l 'quiet' -d 'No summary.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou merge" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou merge" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou tokenize" file' -l 'file' -d 'Analyze the contents of this file instead (- for standard input).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou tokenize" encoding' -l 'encoding' -d 'Read the file or standard input in this charset instead of detecting it (an ICU converter name: GB18030, GBK, Big5, Shift_JIS, EUC-JP, EUC-KR, UTF-16LE, …).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou tokenize" json' -l 'json' -d 'Print one JSON object per token: {"position","term","start","end","kind"}.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou tokenize" no-join-lines' -l 'no-join-lines' -d 'Do not join CJK runs across line breaks between Han/Kana characters.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou tokenize" fold-variants' -l 'fold-variants' -d 'Fold Traditional Chinese characters to Simplified (系統 → 系统).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou tokenize" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou tokenize" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou stats" json' -l 'json' -d 'Print the statistics as JSON.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou stats" open-time' -l 'open-time' -d 'Only open the index (map + validate) repeatedly and print the time per open.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou stats" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou stats" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou check" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou bench" -eq 1' -fa 'index' -d 'Measure building an index: seconds, MB/s, documents/s, tokens/s, peak memory, size, time per phase.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou bench" -eq 1' -fa 'search' -d 'Measure query latency: mean, p50, p99, max and queries/s, cold (first pass) and warm.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou bench" -eq 1' -fa 'tokenize' -d 'Measure the analyzer\'s throughput (MB/s, MB = 10^6 bytes of input text) on one core.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" runs' -l 'runs' -d 'Builds per row.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" jobs' -l 'jobs' -d 'Comma-separated numbers of threads (default: 1 and all cores).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" scale' -l 'scale' -d 'Comma-separated scales: the input indexed K times over, with distinct keys (default 1).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" json' -l 'json' -d 'Print the results as one JSON object.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" baseline' -l 'baseline' -d 'An earlier `sou bench index --json` output to compare with.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" max-regression' -l 'max-regression' -d 'With --baseline: exit 1 when a row is more than this many percent slower (MB/s).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" jsonl' -l 'jsonl' -d 'Read the given files as JSON Lines whatever their names.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" id-field' -l 'id-field' -d 'JSON member holding the document key.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index"' -l 'text-field' -d 'JSON member(s) joined into the text, each on its own lines with a gap no phrase spans (repeatable; default: title, body).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" title-field' -l 'title-field' -d 'JSON member holding the title.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" hidden' -l 'hidden' -d 'Also walk hidden folders and files (and .git).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" no-store' -l 'no-store' -d 'Do not store document text.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" no-join-lines' -l 'no-join-lines' -d 'Do not join CJK runs across soft line breaks.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" fold-variants' -l 'fold-variants' -d 'Fold Traditional Chinese to Simplified.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" memory' -l 'memory' -d 'In-memory buffer budget in MB (default 80), as `sou index --memory`.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench index" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench search" queries' -l 'queries' -d 'The queries (- for stdin): one per line, or a TSV whose first column is the query (UTF-8; at most 1 MiB a line and 256 MiB in all; a NUL byte is an error).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench search" runs' -l 'runs' -d 'Warm passes over the queries (after the cold one).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench search" limit n' -s 'n' -l 'limit' -d 'Hits per query (the exact total is always counted).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench search" snippets' -l 'snippets' -d 'Also build snippets (the matching lines) of the hits, as `sou search` shows them.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench search" json' -l 'json' -d 'Print the results as one JSON object.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench search" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench search" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench tokenize" runs' -l 'runs' -d 'Number of timed runs (after one warm-up run).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench tokenize" no-join-lines' -l 'no-join-lines' -d 'Do not join CJK runs across line breaks.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench tokenize" fold-variants' -l 'fold-variants' -d 'Fold Traditional Chinese to Simplified.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench tokenize" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench tokenize" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou watch" hidden' -l 'hidden' -d 'Also watch hidden files and folders (and .git), as search --hidden reads them.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou watch"' -s 't' -l 'type' -d 'Only files of this type found in folders, as search -t (repeatable).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou watch"' -s 'T' -l 'type-not' -d 'Not files of this type found in folders, as search -T (repeatable).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou watch"' -s 'g' -l 'glob' -d 'Only files matching this glob; !GLOB excludes, as search -g (repeatable).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou watch" encoding' -l 'encoding' -d 'Read text files in this charset, as search --encoding.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou watch" no-join-lines' -l 'no-join-lines' -d 'As search --no-join-lines.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou watch" fold-variants' -l 'fold-variants' -d 'As search --fold-variants.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou watch" v verbose' -s 'v' -l 'verbose' -d 'Log every change seen and every search answered on stderr.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou watch" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou watch" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou help" version' -l 'version' -d 'Show the version.'
