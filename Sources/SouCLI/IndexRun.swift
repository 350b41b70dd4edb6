import ArgumentParser
import FoundationEssentials
import Glibc
import CSystemShim
import Sou

/// What `sou index` runs, its options as plain values: ``IndexCommand`` (ArgumentParser's
/// parse) and ``QuickParse`` (the commonest command lines) both make one. The quick path makes
/// no `IndexCommand`: creating one (its property wrappers: generic metadata, and protocol
/// conformance look-ups that scan the binary's ~3,900 records) and setting its options cost
/// ~0.64 M instructions, a fifth of `sou index` of gimp-ko's unchanged folder (3.43 M → 2.79 M,
/// callgrind).
struct IndexRun {
    var paths: [String]
    var output: String
    var jsonl: Bool
    var idField: String?
    var textFields: [String]
    var titleField: String
    var jobs: Int?
    var rebuild: Bool
    /// `--memory`, in MB (nil: the default).
    var memory: Int?
    var wait: Bool
    var mergeFactor: Int?
    var noStore: Bool
    var force: Bool
    var quiet: Bool
    var json: Bool
    var hidden: Bool
    var encoding: String?
    var types: [String]
    var excludedTypes: [String]
    var globs: [String]
    var verbose: Bool
    var noJoinLines: Bool
    var foldVariants: Bool

    /// `IndexCommand`'s checks of its options (`--memory`'s are ``MemoryBudgetOption``'s).
    func validate() throws {
        if let jobs, !(1...IndexBuildOptions.maxJobs).contains(jobs) {
            throw ValidationError("--jobs must be between 1 and \(IndexBuildOptions.maxJobs) (got \(jobs))")
        }
        if let mergeFactor, mergeFactor < 2 || mergeFactor > 1000 { throw ValidationError("--merge-factor must be between 2 and 1000 (got \(mergeFactor))") }
        if paths.isEmpty { throw ValidationError("give at least one folder, file, or -") }
    }

    func run() throws {
        // Give freed memory back to the system promptly (glibc otherwise keeps up to 32 MiB free
        // at the top of each heap): batches of text and tokens come and go during a build, and
        // peak RSS is part of the build's budget (≤ 1.5× the input). Measured: bundled corpus
        // 68 MB instead of 83 MB, dev-x10 149 MB instead of 178 MB.
        _ = sou_set_malloc_trim_threshold(256 << 10)
        // ... but blocks under 8 MiB come from the heaps (glibc's default maps every block over
        // 128 KiB, once the trim threshold is set, on its own: a batch's token buffers were fresh
        // zeroed pages each time, ~25% of a build's CPU in page faults), which grow 1 MiB beyond
        // a request. dev-x3, one job: 133,651 -> ~29,000 page faults, system time 0.68 -> ~0.15 s,
        // peak RSS 79 -> 83 MB; dev-x10, two jobs: peak RSS 97 -> 112 MB (4 MiB of growth: 20,000
        // faults on dev-x3, but 123 MB on dev-x10 with two jobs, a heap per thread).
        _ = sou_set_malloc_growth(8 << 20, 1 << 20)
        // file names that are not UTF-8: the arguments as bytes (CommandLine.arguments replaced
        // their bad bytes by U+FFFD, naming another file or none)
        let paths = self.paths.map(RawArguments.exact)
        if RawArguments.exact(output) != output {
            throw CLIError("\(PathBytes.displayed(RawArguments.exact(output))): an index file name that is not UTF-8 is not supported; choose another name")
        }
        var options = IndexBuildOptions()
        options.input.forcesJSONLines = jsonl
        if let idField {
            options.input.idField = idField
            options.input.requiresIDField = true
        }
        options.input.encoding = encoding
        options.input.types = types
        options.input.excludedTypes = excludedTypes
        options.input.globs = globs
        if !textFields.isEmpty { options.input.textFields = textFields }
        options.input.titleField = titleField
        options.input.includesHidden = hidden
        options.configuration = AnalyzerConfiguration(joinsSoftLineBreaks: !noJoinLines, foldsTraditionalToSimplified: foldVariants)
        options.storesText = !noStore
        options.jobs = jobs ?? min(activeProcessorCount, IndexBuildOptions.maxJobs)
        if let memory { options.memoryBudget = memory << 20 }
        if let mergeFactor { options.mergeFactor = mergeFactor }
        options.waitsForLock = wait
        options.replacesNonIndexFile = force

        var builder = IndexBuilder(options: options)
        builder.temporaryFile = TemporaryFileCleanup.hook()
        // a progress bar on a terminal only (see BuildProgress)
        let progress = quiet ? nil : BuildProgress.onTerminal()
        builder.warn = { message in
            progress?.clear()
            printError("warning: " + message)
        }
        if !quiet {
            builder.note = { message in
                progress?.clear()
                printError("note: " + message)
            }
        }
        if verbose {
            builder.showsDetails = true
            builder.detail = { message in
                progress?.clear()
                printError(message)
            }
        }
        if let progress { builder.progress = { progress.show($0) } }
        // the walk started before the command line was parsed (used when it lists these paths
        // with these options; the update checks)
        builder.listing = IndexCommand.earlyListing
        let summary: IndexBuildSummary
        do {
            summary = try builder.update(paths: paths, atPath: output, rebuild: rebuild)
        } catch let error as IndexError {
            progress?.finish()
            throw CLIError(error.description)
        } catch let error as OutputRefusal {
            progress?.finish()
            if case .nothingToIndex = error.kind { throw CLIError(error.description, code: 1) }
            throw CLIError(error.description)
        }
        progress?.finish()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let object = SummaryJSON(summary: summary, index: output, megabytesPerSecond: (summary.megabytesPerSecond * 100).rounded() / 100)
            print(String(decoding: try encoder.encode(object), as: UTF8.self))
        } else if !quiet {
            let text: String
            let megabytes = IndexCommand.fixed(Double(summary.inputBytes) / 1e6, 2)
            if summary.rebuilt {
                text = "indexed \(counted(summary.documents, "document")) (\(megabytes) MB) in \(IndexCommand.fixed(summary.seconds, 2)) s "
                    + "(\(IndexCommand.fixed(summary.megabytesPerSecond, 1)) MB/s): \(summary.terms) terms\(summary.segments > 1 ? " in \(summary.segments) segments" : ""), \(summary.postings) postings, "
                    + "\(summary.positions) positions; \(output): \(summary.indexBytes) bytes\(extra(summary))"
            } else {
                text = "updated \(output): added \(summary.added), replaced \(summary.replaced), deleted \(summary.deleted), "
                    + "unchanged \(summary.unchanged) in \(IndexCommand.fixed(summary.seconds, 2)) s (read \(counted(summary.files, "file")), "
                    + "\(megabytes) MB; \(counted(summary.unchangedFiles, "file")) unchanged); \(counted(summary.documents, "document")), "
                    + "\(summary.indexBytes) bytes\(extra(summary))"
            }
            writeStderr(text + "\n")
        }
    }

    /// "; skipped 3 binary, 1 empty (--verbose lists them); 2 duplicate keys; read 4 files in GB18030".
    func extra(_ summary: IndexBuildSummary) -> String {
        var parts: [String] = []
        var counts: [SkipReason: Int] = [:]
        for (k, v) in summary.skippedByReason { if let r = SkipReason(rawValue: k) { counts[r] = v } }
        if !counts.isEmpty {
            parts.append("skipped " + IndexBuilder.skipBreakdown(counts) + (verbose ? "" : " (--verbose lists them)"))
        }
        if summary.duplicateKeys > 0 {
            parts.append("\(summary.duplicateKeys) duplicate \(summary.duplicateKeys == 1 ? "key" : "keys") (the last document read wins)")
        }
        if !summary.charsets.isEmpty {
            parts.append("converted " + summary.charsets.sorted { $0.key < $1.key }.map { "\($0.value) from \($0.key)" }.joined(separator: ", "))
        }
        return parts.isEmpty ? "" : "; " + parts.joined(separator: "; ")
    }
}
