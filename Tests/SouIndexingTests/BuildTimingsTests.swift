import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

@Suite("Phase timings of a build (IndexBuildTimings)")
struct BuildTimingsTests {
    /// Spins until this thread's CPU clock has advanced by `seconds`.
    static func spin(_ seconds: Double) {
        let start = IndexBuildTimings.threadCPUSeconds()
        var x = 0
        while IndexBuildTimings.threadCPUSeconds() - start < seconds { x &+= 1 }
        _ = x
    }

    @Test("a phase measured inside another on the same thread is taken out of the outer one")
    func nestedPhasesAreExclusive() {
        let timings = IndexBuildTimings()
        let before = IndexBuildTimings.threadCPUSeconds()
        timings.measure(.read) {
            Self.spin(0.03)
            timings.measure(.analyze) { Self.spin(0.03) }
            timings.measure(.invert) {
                Self.spin(0.02)
                timings.measure(.write) { Self.spin(0.02) }
            }
        }
        let total = IndexBuildTimings.threadCPUSeconds() - before
        let p = timings.phases
        let read = p[.read]?.cpuSeconds ?? 0, analyze = p[.analyze]?.cpuSeconds ?? 0
        let invert = p[.invert]?.cpuSeconds ?? 0, write = p[.write]?.cpuSeconds ?? 0
        // each phase holds its own spin only (CPU time: unaffected by other processes)
        #expect(read >= 0.03 && read < 0.05)
        #expect(analyze >= 0.03 && analyze < 0.05)
        #expect(invert >= 0.02 && invert < 0.04)
        #expect(write >= 0.02 && write < 0.04)
        // and the phases of the thread add up to its time
        #expect(abs(read + analyze + invert + write - total) < 0.005)
        #expect(p[.read]?.count == 1 && p[.write]?.count == 1)
        #expect(p[.merge] == nil)
        // wall clock inside a phase is at least its CPU time
        for (_, m) in p { #expect(m.wallSeconds >= m.cpuSeconds * 0.99) }
    }

    @Test("phases on other threads are not taken out of this thread's phase")
    func threadsAreSeparate() {
        let timings = IndexBuildTimings()
        timings.measure(.read) {
            Self.spin(0.02)
            let done = DispatchSemaphore(value: 0)
            Thread {
                timings.measure(.analyze) { Self.spin(0.03) }
                done.signal()
            }.start()
            done.wait()
        }
        let p = timings.phases
        // the wait costs this thread no CPU: read holds its own spin, analyze the other thread's
        #expect((p[.read]?.cpuSeconds ?? 0) >= 0.02 && (p[.read]?.cpuSeconds ?? 1) < 0.04)
        #expect((p[.analyze]?.cpuSeconds ?? 0) >= 0.03)
        // while read's wall time includes waiting for the other thread
        #expect((p[.read]?.wallSeconds ?? 0) >= 0.05)
    }

    @Test("a build with timings writes the same bytes as one without and measures each phase it runs",
          arguments: [1, 2])
    func buildPhases(jobs: Int) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try BuildTests.corpus(in: folder)
        var options = IndexBuildOptions()
        options.jobs = jobs
        let plain = folder.appendingPathComponent("plain.sou"), timed = folder.appendingPathComponent("timed.sou")
        _ = try IndexBuilder(options: options).build(paths: [input], to: plain)
        let timings = IndexBuildTimings()
        options.timings = timings
        _ = try IndexBuilder(options: options).build(paths: [input], to: timed)
        #expect(try Data(contentsOf: plain) == Data(contentsOf: timed))
        let p = timings.phases
        for phase: IndexBuildTimings.Phase in [.read, .analyze, .compress, .invert, .serialize, .write] {
            #expect((p[phase]?.count ?? 0) > 0, "\(phase) not measured")
            #expect((p[phase]?.cpuSeconds ?? -1) >= 0)
        }
        // batches of ~16 KiB: several analyzed and inverted, one segment serialized, no merge
        #expect((p[.analyze]?.count ?? 0) >= 4)
        #expect(p[.invert]?.count == p[.analyze]?.count)
        #expect(p[.merge] == nil)
        #expect(timings.segmentFlushes == 1 && timings.segmentMerges == 0)
        #expect(jobs > 1 || p[.readerWaiting] == nil)
        // the workers ask the pipeline for work at least once per batch analyzed and inverted
        #expect(jobs > 1 ? (p[.workersWaiting]?.count ?? 0) >= 2 * (p[.analyze]?.count ?? 0) : p[.workersWaiting] == nil)
    }

    @Test("flushes and merges of a build over its memory budget are counted and measured")
    func flushesAndMerges() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = try BuildTests.corpus(in: folder)
        var options = IndexBuildOptions()
        options.jobs = 1
        options.memoryBudget = 1 << 16
        options.mergeFactor = 2
        let timings = IndexBuildTimings()
        options.timings = timings
        let out = folder.appendingPathComponent("small-budget.sou")
        _ = try IndexBuilder(options: options).build(paths: [input], to: out)
        #expect(timings.segmentFlushes >= 4)
        #expect(timings.segmentMerges >= 1)
        #expect((timings.phases[.merge]?.count ?? 0) == timings.segmentMerges)
        _ = try IndexReader(contentsOf: out).verify()
    }
}
