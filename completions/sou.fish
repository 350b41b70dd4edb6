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
            __sou_parse_subcommand -r 1 'e=' 'i/index=' 'no-cache' 'hidden' 'no-join-lines' 'fold-variants' 'n/limit=' 'c/count' 'l/files' 'json' 'explain' 'k1=' 'b=' 'color=' 'max-lines=' 'max-columns=' 'batch=' 'version' 'h/help'
        case 'index'
            __sou_parse_subcommand -r 1 'o/output=' 'jsonl' 'id-field=' 'text-field=+' 'title-field=' 'jobs=' 'rebuild' 'memory=' 'wait' 'merge-factor=' 'no-store' 'force' 'quiet' 'json' 'hidden' 'no-join-lines' 'fold-variants' 'version' 'h/help'
        case 'add'
            __sou_parse_subcommand -r 1 'i/index=' 'wait' 'merge-factor=' 'id-field=' 'text-field=+' 'title-field=' 'jsonl' 'jobs=' 'quiet' 'version' 'h/help'
        case 'delete'
            __sou_parse_subcommand -r 1 'i/index=' 'wait' 'merge-factor=' 'keys-from=' 'quiet' 'version' 'h/help'
        case 'merge'
            __sou_parse_subcommand 1 'max-segments=' 'wait' 'quiet' 'version' 'h/help'
        case 'tokenize'
            __sou_parse_subcommand 1 'file=' 'json' 'no-join-lines' 'fold-variants' 'version' 'h/help'
        case 'stats'
            __sou_parse_subcommand 1 'json' 'open-time' 'version' 'h/help'
        case 'check'
            __sou_parse_subcommand 1 'version' 'h/help'
        case 'bench'
            __sou_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'tokenize'
                __sou_parse_subcommand -r 1 'runs=' 'no-join-lines' 'fold-variants' 'version' 'h/help'
            end
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
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'index' -d 'Build an index file from folders, text/HTML files, JSON Lines or stdin, or bring it up to date.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'add' -d 'Add documents to an index, replacing those with the same keys (upsert); nothing is deleted.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'delete' -d 'Delete documents from an index by key.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'merge' -d 'Merge an index\'s segments (into one by default) and drop deleted documents.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'tokenize' -d 'Show the tokens the analyzer makes of a text: position, term, byte range, kind.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'stats' -d 'Show an index\'s documents, terms by kind, postings, positions, section sizes and configuration.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'check' -d 'Verify an index completely: the commit chain, and every checksum and section of every segment.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'bench' -d 'Measure the throughput of the engine\'s stages.'
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" e' -s 'e' -d 'The query, also one that starts with \'-\' (every argument is then a PATH).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" i index' -s 'i' -l 'index' -d 'Search this index file instead of PATHs (default without PATH: $SOU_INDEX, else ./corpus.sou).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" no-cache' -l 'no-cache' -d 'With PATHs: index them in memory for this search only; write no cache.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" hidden' -l 'hidden' -d 'With PATHs: also search hidden files and folders (and .git).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" no-join-lines' -l 'no-join-lines' -d 'With PATHs: do not join CJK runs across soft line breaks.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" fold-variants' -l 'fold-variants' -d 'With PATHs: fold Traditional Chinese to Simplified.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" limit n' -s 'n' -l 'limit' -d 'The most hits to show.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" c count' -s 'c' -l 'count' -d 'Print only the number of matching documents.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" files l' -s 'l' -l 'files' -d 'Print only the keys of the hits, best first.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" json' -l 'json' -d 'One JSON object per hit: rank, key, title, score, matches, snippets.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" explain' -l 'explain' -d 'Show how each hit\'s score is computed.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" k1' -l 'k1' -d 'BM25 term-frequency saturation k1 (non-negative).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" b' -l 'b' -d 'BM25 length normalization b (0 to 1).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" color' -l 'color' -d 'Color: auto (when stdout is a terminal), always or never.' -rfka 'auto always never'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" max-lines' -l 'max-lines' -d 'The most matching lines shown per hit (default: all).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" max-columns' -l 'max-columns' -d 'Lines longer than this many characters are cut around the match.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" batch' -l 'batch' -d 'Run every query of FILE (- for stdin; one per line; for a TSV the first column) and print one JSON line per query (with -c/-l: only the counts/keys).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou search" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" o output' -l 'output' -s 'o' -d 'The index file to write.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" jsonl' -l 'jsonl' -d 'Read the given files (and stdin) as JSON Lines whatever their names.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" id-field' -l 'id-field' -d 'JSON member holding the document key.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index"' -l 'text-field' -d 'JSON member(s) joined by newlines into the text (repeatable; default: title, body).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" title-field' -l 'title-field' -d 'JSON member holding the title.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" jobs' -l 'jobs' -d 'Threads analyzing documents, 1 to 256 (default: all cores, at most 256). The file is identical for any value.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" rebuild' -l 'rebuild' -d 'Build a new index from scratch even when FILE exists (needed to change analyzer options or --no-store).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" memory' -l 'memory' -d 'In-memory buffer budget in MB: when reached, the buffered documents are written as a segment and the memory is released (default 512).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" wait' -l 'wait' -d 'Wait for another writer of FILE to finish instead of failing.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" merge-factor' -l 'merge-factor' -d 'Segments of similar size are merged this many at a time (default 8; larger keeps more, smaller segments).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" no-store' -l 'no-store' -d 'Do not store document text (no snippets).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" force' -l 'force' -d 'Replace an existing output file even if it is not a Sou index (never a link, device, folder or input).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" quiet' -l 'quiet' -d 'No progress line and no summary.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" json' -l 'json' -d 'Print the summary as JSON on stdout.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" hidden' -l 'hidden' -d 'Also walk hidden folders and files (and .git).'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" no-join-lines' -l 'no-join-lines' -d 'Do not join CJK runs across soft line breaks.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" fold-variants' -l 'fold-variants' -d 'Fold Traditional Chinese to Simplified.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou index" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" i index' -s 'i' -l 'index' -d 'The index file (created when it does not exist).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" wait' -l 'wait' -d 'Wait for another writer of the index to finish instead of failing.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" merge-factor' -l 'merge-factor' -d 'Segments of similar size are merged this many at a time (default 8).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" id-field' -l 'id-field' -d 'JSON member holding the document key.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add"' -l 'text-field' -d 'JSON member(s) joined by newlines into the text (repeatable; default: title, body).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" title-field' -l 'title-field' -d 'JSON member holding the title.' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" jsonl' -l 'jsonl' -d 'Read the given files as JSON Lines whatever their names.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" jobs' -l 'jobs' -d 'Threads analyzing documents (default: all cores).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" quiet' -l 'quiet' -d 'No summary.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou add" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" i index' -s 'i' -l 'index' -d 'The index file (created when it does not exist).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" wait' -l 'wait' -d 'Wait for another writer of the index to finish instead of failing.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" merge-factor' -l 'merge-factor' -d 'Segments of similar size are merged this many at a time (default 8).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" keys-from' -l 'keys-from' -d 'Read keys, one per line, from FILE (- for stdin).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" quiet' -l 'quiet' -d 'No summary.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou delete" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou merge" max-segments' -l 'max-segments' -d 'Merge until at most N segments remain (default 1).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou merge" wait' -l 'wait' -d 'Wait for another writer of the index to finish instead of failing.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou merge" quiet' -l 'quiet' -d 'No summary.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou merge" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou merge" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou tokenize" file' -l 'file' -d 'Analyze the contents of this file instead.' -rfka ''
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
complete -c 'sou' -n '__sou_should_offer_completions_for_positional "sou bench" -eq 1' -fa 'tokenize' -d 'Measure the analyzer\'s throughput (MB/s, MB = 10^6 bytes of input text) on one core.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench tokenize" runs' -l 'runs' -d 'Number of timed runs (after one warm-up run).' -rfka ''
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench tokenize" no-join-lines' -l 'no-join-lines' -d 'Do not join CJK runs across line breaks.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench tokenize" fold-variants' -l 'fold-variants' -d 'Fold Traditional Chinese to Simplified.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench tokenize" version' -l 'version' -d 'Show the version.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou bench tokenize" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'sou' -n '__sou_should_offer_completions_for_flags_or_options "sou help" version' -l 'version' -d 'Show the version.'
