package sqlite

import (
	"cmp"
	"container/heap"
	"container/list"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/sync/singleflight"

	omi "github.com/omi-devapi/omi-devapi"
)

// The vector ranking in two steps. In memory, per user, kind, model and
// length, only a binary code of each vector is kept with the row's rowid:
// the vector turned by a fixed random rotation (sign flips, then a
// Walsh-Hadamard transform over the length padded to a power of two), one
// bit per coordinate, its sign. For 384 dimensions that is 512 bits and a
// 4-byte rowid offset: 68 bytes a vector where the floats took 1.5 KB.
//
// A search scores every code against the query by Hamming distance (a few
// XORs and popcounts each), estimates the nearest ten thousand more finely
// from the query's rotated floats against their bits, keeps the best 500,
// and reads those rows' vectors back from SQLite in the transaction the
// version was read in, to rank them by their exact dot product. A user with
// no more vectors than that is ranked exactly; above, a vector whose code
// is unlucky can be missed (recall@30 against the exact ranking at 1M is
// about 0.98: bench/search_test.go, BenchmarkVectorSearch1M).
//
// Measured on the 1M seeded set: with 384 bits (the first 384 rotated
// coordinates) 1,000 rows must be read back for the recall 512 bits reach
// with 500, and reading rows back costs about 10 us each while the extra
// 16 bytes a vector cost 16 MB. The finer estimate, and reading back at
// most k rows of any one code (the seeded text repeats: thousands of
// memories can share a vector, and their codes would fill the candidates),
// took recall@30 at 500 rows from 0.87 (Hamming distance alone) to 0.98.
var (
	// vectorCandidates is how many rows are read back and ranked exactly,
	// at least (vectorPerHit per hit asked for, when more).
	vectorCandidates = 500
	vectorPerHit     = 16
	// vectorExamined is how many of the Hamming nearest, per candidate,
	// get the finer estimate (10 to 40 measured alike).
	vectorExamined = 20
)

// nearest is the vector ranking: the dot product (cosine: vectors are
// normalised) of the query with the user's vectors of its model and length,
// best q.Limit kept. hidden selects the ids to skip (rejected or unlisted
// rows).
//
// The codes are checked against the user's vector version, read in the
// same snapshot, so a search sees every write committed before it, from any
// connection or process. After writes only the rows the vector log names
// are read again: the log records each change's rowid (migration 00009),
// so the entry of an updated or deleted row is found and overwritten or
// marked dead, never left as a stale candidate. Re-ranking checks every
// row's user, kind, model and length all the same.
func (db *DB) nearest(ctx context.Context, q omi.SearchQuery, kind, hidden string) ([]omi.Ranked, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var version int64
	err = tx.QueryRowContext(ctx, `SELECT version FROM vector_versions WHERE uid = ? AND kind = ?`, q.UID, kind).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // no vector was ever stored for this user
	}
	if err != nil {
		return nil, err
	}
	key := vectorKey{path: db.path, uid: q.UID, kind: kind, model: q.Model, dim: len(q.Vector)}
	set, err := vectors.get(ctx, tx, key, version)
	if err != nil {
		return nil, err
	}
	rowids := set.candidates(q.Vector, q.Limit)
	if len(rowids) == 0 {
		return nil, nil
	}
	hits, err := rerank(ctx, tx, key, q.Vector, rowids)
	if err != nil {
		return nil, err
	}
	return visible(ctx, tx, hidden, q.UID, hits, q.Limit)
}

// rerank reads the candidates' vectors and scores them exactly, best first.
// A rowid whose row is gone, or is now another user's, kind's, model's or
// length's, drops out here: the codes only choose what to read.
func rerank(ctx context.Context, tx *sql.Tx, k vectorKey, q []float32, rowids []int64) ([]omi.Ranked, error) {
	// The unary + keeps SQLite from scanning the user's (uid, kind, id)
	// index instead of looking the rowids up.
	rows, err := tx.QueryContext(ctx, `SELECT id, vec FROM vectors WHERE rowid IN (SELECT value FROM json_each(?))
		AND +uid = ? AND +kind = ? AND model = ? AND dim = ?`, jsonInts(rowids), k.uid, k.kind, k.model, k.dim)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hits := make([]omi.Ranked, 0, len(rowids))
	v := make([]float32, len(q))
	var raw sql.RawBytes
	for rows.Next() {
		var id string
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		if len(raw) != 4*len(q) {
			continue
		}
		decode(v, raw)
		hits = append(hits, omi.Ranked{ID: id, Score: float64(dot(q, v))})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(hits, func(a, b omi.Ranked) int {
		if worse(a, b) {
			return 1
		}
		if worse(b, a) {
			return -1
		}
		return 0
	})
	return hits, nil
}

// visible returns the first k of hits (best first) that hidden does not
// select, asking about a few more than are still needed at a time: hidden
// rows are few, so one query nearly always does.
func visible(ctx context.Context, tx *sql.Tx, hidden, uid string, hits []omi.Ranked, k int) ([]omi.Ranked, error) {
	out := make([]omi.Ranked, 0, min(k, len(hits)))
	for len(hits) > 0 && len(out) < k {
		batch := hits[:min(len(hits), 2*(k-len(out))+8)]
		hits = hits[len(batch):]
		ids := make([]string, len(batch))
		for i, h := range batch {
			ids[i] = h.ID
		}
		list, err := json.Marshal(ids)
		if err != nil {
			return nil, err
		}
		// Each hit looked up by id: filtering hidden's rows by an id list
		// instead lets SQLite read all of them (through memories_list_covering
		// at 1M: the whole user's index).
		rows, err := tx.QueryContext(ctx, `SELECT j.value FROM json_each(?) j
			WHERE EXISTS (SELECT 1 FROM (`+hidden+`) h WHERE h.id = j.value)`, string(list), uid)
		if err != nil {
			return nil, err
		}
		skip := map[string]bool{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			skip[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, h := range batch {
			if !skip[h.ID] && len(out) < k {
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// jsonInts is a JSON array of ns, for json_each: one statement, whatever
// the count.
func jsonInts(ns []int64) string {
	b := make([]byte, 0, 2+12*len(ns))
	b = append(b, '[')
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return string(append(b, ']'))
}

func decode(dst []float32, raw []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
}

// rotation is the fixed random rotation of vectors of one padded length:
// sign flips, then a Walsh-Hadamard transform. Fixed (seeded), so codes
// made by any process are comparable; random, so that the signs of the
// rotated coordinates estimate angles well whatever the embedder puts in
// which coordinate (the offline embedder's vectors are sparse sums).
type rotation struct {
	n     int // coordinates: the length padded to a power of two
	words int // uint64s per code
	signs []float32
}

var rotations sync.Map // n -> *rotation

func rotationFor(dim int) *rotation {
	n := 1
	for n < dim {
		n <<= 1
	}
	if r, ok := rotations.Load(n); ok {
		return r.(*rotation)
	}
	r := &rotation{n: n, words: (n + 63) / 64, signs: make([]float32, n)}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range r.signs {
		r.signs[i] = float32(1 - 2*int(rng.Uint32()&1))
	}
	got, _ := rotations.LoadOrStore(n, r)
	return got.(*rotation)
}

// rotate writes v turned into buf (len r.n; the padding is zero).
func (r *rotation) rotate(buf, v []float32) {
	signs := r.signs[:len(buf)]
	for i, x := range v {
		buf[i] = x * signs[i]
	}
	clear(buf[len(v):])
	fwht(buf)
}

// fwht is the Walsh-Hadamard transform of x (len a power of two),
// unnormalised: only signs and relative sizes are used. Two stages a pass
// (radix 4): half the passes over x.
func fwht(x []float32) {
	n, h := len(x), 1
	for ; 4*h <= n; h *= 4 {
		for i := 0; i < n; i += 4 * h {
			a, b, c, d := x[i:i+h:i+h], x[i+h:i+2*h:i+2*h], x[i+2*h:i+3*h:i+3*h], x[i+3*h:i+4*h:i+4*h]
			b, c, d = b[:len(a)], c[:len(a)], d[:len(a)]
			for j := range a {
				s0, d0 := a[j]+b[j], a[j]-b[j]
				s1, d1 := c[j]+d[j], c[j]-d[j]
				a[j], b[j], c[j], d[j] = s0+s1, d0+d1, s0-s1, d0-d1
			}
		}
	}
	if 2*h == n {
		a, b := x[:h], x[h:]
		b = b[:len(a)]
		for j := range a {
			a[j], b[j] = a[j]+b[j], a[j]-b[j]
		}
	}
}

// encode sets code (len r.words) to the signs of rotated: a bit set where
// the sign bit is clear.
func (r *rotation) encode(code []uint64, rotated []float32) {
	for w := range code {
		var c uint64
		for j, x := range rotated[w*64 : min(len(rotated), w*64+64)] {
			c |= uint64(^math.Float32bits(x)>>31) << j
		}
		code[w] = c
	}
}

// vectorLogKeep is how many changes per user and kind vector_log keeps (the
// migration's triggers prune beyond it): a cache that far behind reloads.
const vectorLogKeep = 4096

// VectorCacheBytes bounds the memory the codes of all users' vectors may
// take (least recently searched go first). 384-dimension vectors take 68
// bytes each: the default holds about 1.5 million.
var VectorCacheBytes int64 = 96 << 20

// vectorKey names one user's vectors of one kind, model and length in one
// database file. Keyed by path rather than by *DB: a file reopened keeps
// its cache, and validity is decided by the version in the file anyway.
type vectorKey struct {
	path, uid, kind, model string
	dim                    int
}

// blockLen is how many codes a block holds: the set grows a block at a time
// and never copies the whole of itself to grow.
const blockLen = 1 << 16

// codeBlock holds codes in ascending rowid order, each rowid stored as an
// offset from the block's first.
type codeBlock struct {
	base  int64
	off   []uint32
	codes []uint64 // len(off) codes, back to back
	dead  []uint64 // bit per entry: deleted since loaded; nil when none
	ndead int
}

func (b *codeBlock) rowid(i int) int64 { return b.base + int64(b.off[i]) }

func (b *codeBlock) isDead(i int) bool {
	return b.dead != nil && b.dead[i>>6]&(1<<(i&63)) != 0
}

func (b *codeBlock) setDead(i int, dead bool) {
	if b.isDead(i) == dead {
		return
	}
	if b.dead == nil {
		b.dead = make([]uint64, blockLen/64)
	}
	b.dead[i>>6] ^= 1 << (i & 63)
	if dead {
		b.ndead++
	} else {
		b.ndead--
	}
}

// vectorSet is the codes of one key's vectors: blocks in rowid order, plus
// rows added since that sort below the last block's end (a row changed to
// this model, a reused rowid), unsorted, until compact folds them in. A
// refresh changes it in place under mu; searches hold mu for reading while
// they scan.
type vectorSet struct {
	key   vectorKey
	rot   *rotation
	words int

	mu      sync.RWMutex
	version int64
	blocks  []*codeBlock
	xrow    []int64
	xcodes  []uint64

	elem *list.Element // guarded by the cache's mu
	size int64         // bytes, as last counted by the cache
}

func newVectorSet(k vectorKey, version int64) *vectorSet {
	r := rotationFor(k.dim)
	return &vectorSet{key: k, rot: r, words: r.words, version: version}
}

func (s *vectorSet) current() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

// live is how many codes are searchable. Under mu.
func (s *vectorSet) live() int {
	n := len(s.xrow)
	for _, b := range s.blocks {
		n += len(b.off) - b.ndead
	}
	return n
}

// bytes is the memory the codes take. Under mu.
func (s *vectorSet) bytes() int64 {
	n := int64(cap(s.xrow))*8 + int64(cap(s.xcodes))*8
	for _, b := range s.blocks {
		n += int64(cap(b.off))*4 + int64(cap(b.codes))*8 + int64(cap(b.dead))*8 + 64
	}
	return n
}

// add appends a code for a rowid not in the set. Under mu.
func (s *vectorSet) add(rowid int64, code []uint64) {
	var last *codeBlock
	if len(s.blocks) > 0 {
		last = s.blocks[len(s.blocks)-1]
	}
	if last != nil && len(last.off) > 0 && rowid <= last.rowid(len(last.off)-1) {
		s.xrow = append(s.xrow, rowid)
		s.xcodes = append(s.xcodes, code...)
		return
	}
	if last == nil || len(last.off) == blockLen || uint64(rowid-last.base) > math.MaxUint32 {
		last = &codeBlock{base: rowid}
		s.blocks = append(s.blocks, last)
	}
	if len(last.off) == cap(last.off) {
		// Double up to a block, exactly (append would overshoot by up to a
		// quarter): growing copies at most one block.
		c := min(blockLen, max(64, 2*cap(last.off)))
		last.off = append(make([]uint32, 0, c), last.off...)
		last.codes = append(make([]uint64, 0, c*s.words), last.codes...)
	}
	last.off = append(last.off, uint32(rowid-last.base))
	last.codes = append(last.codes, code...)
}

// find locates rowid in the blocks (dead or alive) or else in the unsorted
// rows: block index and entry, or -1 and the unsorted index, or -1, -1.
// Under mu.
func (s *vectorSet) find(rowid int64) (int, int) {
	bi, _ := slices.BinarySearchFunc(s.blocks, rowid, func(b *codeBlock, r int64) int { return cmp.Compare(b.base, r) })
	if bi < len(s.blocks) && s.blocks[bi].base == rowid {
		return bi, 0
	}
	if bi > 0 {
		b := s.blocks[bi-1]
		if d := rowid - b.base; uint64(d) <= math.MaxUint32 {
			if i, ok := slices.BinarySearch(b.off, uint32(d)); ok {
				return bi - 1, i
			}
		}
	}
	return -1, slices.Index(s.xrow, rowid)
}

// put sets rowid's code (code nil: the row has no vector of this key now).
// Under mu.
func (s *vectorSet) put(rowid int64, code []uint64) {
	bi, i := s.find(rowid)
	w := s.words
	switch {
	case bi >= 0:
		b := s.blocks[bi]
		if code != nil {
			copy(b.codes[i*w:(i+1)*w], code)
		}
		b.setDead(i, code == nil)
	case i >= 0:
		if code != nil {
			copy(s.xcodes[i*w:(i+1)*w], code)
			return
		}
		last := len(s.xrow) - 1
		s.xrow[i] = s.xrow[last]
		copy(s.xcodes[i*w:(i+1)*w], s.xcodes[last*w:])
		s.xrow = s.xrow[:last]
		s.xcodes = s.xcodes[:last*w]
	case code != nil:
		s.add(rowid, code)
	}
}

// compactAt is how many unsorted rows, or dead entries beyond an eighth of
// the set, make a refresh fold them into new blocks.
var compactAt = 4096

func (s *vectorSet) needsCompact() bool {
	dead := 0
	for _, b := range s.blocks {
		dead += b.ndead
	}
	return len(s.xrow) > compactAt || dead > max(compactAt, s.live()/8)
}

// compact rebuilds the blocks without dead entries and with the unsorted
// rows merged in, releasing each old block once copied: the set is never
// held twice. Under mu (for writing).
func (s *vectorSet) compact() {
	w := s.words
	order := make([]int, len(s.xrow))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(s.xrow[a], s.xrow[b]) })
	old, xrow, xcodes := s.blocks, s.xrow, s.xcodes
	s.blocks, s.xrow, s.xcodes = nil, nil, nil
	x := 0
	for bi, b := range old {
		for i := range b.off {
			if b.isDead(i) {
				continue
			}
			r := b.rowid(i)
			for ; x < len(order) && xrow[order[x]] < r; x++ {
				s.add(xrow[order[x]], xcodes[order[x]*w:(order[x]+1)*w])
			}
			s.add(r, b.codes[i*w:(i+1)*w])
		}
		old[bi] = nil
	}
	for ; x < len(order); x++ {
		s.add(xrow[order[x]], xcodes[order[x]*w:(order[x]+1)*w])
	}
}

// loadBatch is rows read from SQLite on their way to be encoded.
type loadBatch struct {
	rowids []int64
	raw    []byte // len(rowids) vectors, back to back
}

// loadVectors reads one key's vectors into a new set. Rows stream: one
// goroutine reads them from SQLite in rowid order while another rotates and
// encodes them (on two cores, each about as costly); at most a few batches
// of raw vectors exist at once.
func loadVectors(ctx context.Context, tx *sql.Tx, k vectorKey, version int64) (*vectorSet, error) {
	s := newVectorSet(k, version)
	rows, err := tx.QueryContext(ctx, `SELECT rowid, vec FROM vectors
		WHERE rowid IN (SELECT rowid FROM vectors WHERE uid = ? AND kind = ?) AND model = ? AND dim = ?`,
		k.uid, k.kind, k.model, k.dim)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	const batchLen = 1024
	size := 4 * k.dim
	free := make(chan *loadBatch, 3)
	for range cap(free) {
		free <- &loadBatch{rowids: make([]int64, 0, batchLen), raw: make([]byte, 0, batchLen*size)}
	}
	full := make(chan *loadBatch, cap(free))
	done := make(chan struct{})
	go func() {
		defer close(done)
		v, buf, code := make([]float32, k.dim), make([]float32, s.rot.n), make([]uint64, s.words)
		for b := range full {
			for i, r := range b.rowids {
				decode(v, b.raw[i*size:])
				s.rot.rotate(buf, v)
				s.rot.encode(code, buf)
				s.add(r, code)
			}
			b.rowids, b.raw = b.rowids[:0], b.raw[:0]
			free <- b
		}
	}()
	b := <-free
	var raw sql.RawBytes
	for rows.Next() {
		var rowid int64
		if err = rows.Scan(&rowid, &raw); err != nil {
			break
		}
		if len(raw) != size {
			continue
		}
		b.rowids = append(b.rowids, rowid)
		b.raw = append(b.raw, raw...)
		if len(b.rowids) == batchLen {
			full <- b
			b = <-free
		}
	}
	if err == nil {
		err = rows.Err()
	}
	full <- b
	close(full)
	<-done
	if err != nil {
		return nil, err
	}
	if len(s.xrow) > 0 { // rows came out of rowid order
		s.compact()
	}
	if n := len(s.blocks); n > 0 { // trim the last block's growth
		last := s.blocks[n-1]
		last.off, last.codes = slices.Clip(slices.Clone(last.off)), slices.Clip(slices.Clone(last.codes))
	}
	return s, nil
}

// refresh brings s up to version, which is at most vectorLogKeep ahead: it
// reads the rowids the vector log names since s.version, then those rows'
// current vectors (absent: deleted, or now another model's), and applies
// them in place. It reports false, changing nothing, when the log has a row
// without a rowid (written before migration 00009): the caller reloads.
func (s *vectorSet) refresh(ctx context.Context, tx *sql.Tx, version int64) (bool, error) {
	k := s.key
	from := s.current()
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT rid FROM vector_log WHERE uid = ? AND kind = ? AND seq > ?`, k.uid, k.kind, from)
	if err != nil {
		return false, err
	}
	var changed []int64
	for rows.Next() {
		var rid sql.NullInt64
		if err := rows.Scan(&rid); err != nil {
			rows.Close()
			return false, err
		}
		if !rid.Valid {
			rows.Close()
			return false, nil
		}
		changed = append(changed, rid.Int64)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	codes := make(map[int64][]uint64, len(changed))
	if len(changed) > 0 {
		rows, err := tx.QueryContext(ctx, `SELECT rowid, vec FROM vectors WHERE rowid IN (SELECT value FROM json_each(?))
			AND +uid = ? AND +kind = ? AND model = ? AND dim = ?`, jsonInts(changed), k.uid, k.kind, k.model, k.dim)
		if err != nil {
			return false, err
		}
		v, buf := make([]float32, k.dim), make([]float32, s.rot.n)
		var raw sql.RawBytes
		for rows.Next() {
			var rowid int64
			if err := rows.Scan(&rowid, &raw); err != nil {
				rows.Close()
				return false, err
			}
			if len(raw) != 4*k.dim {
				continue
			}
			decode(v, raw)
			s.rot.rotate(buf, v)
			code := make([]uint64, s.words)
			s.rot.encode(code, buf)
			codes[rowid] = code
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return false, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version != from {
		return false, fmt.Errorf("vector set changed during refresh") // callers serialise refreshes
	}
	for _, r := range changed {
		s.put(r, codes[r]) // nil: gone
	}
	s.version = version
	if s.needsCompact() {
		s.compact()
	}
	return true, nil
}

type vectorCache struct {
	mu    sync.Mutex
	sets  map[vectorKey]*vectorSet
	lru   *list.List // of *vectorSet, most recently used first
	bytes int64
	loads singleflight.Group
}

var vectors = &vectorCache{sets: map[vectorKey]*vectorSet{}, lru: list.New()}

// get returns k's set at least as new as version, which tx reads: the
// cached one, refreshed from the log, or loaded, once however many
// searches ask at the same time.
func (c *vectorCache) get(ctx context.Context, tx *sql.Tx, k vectorKey, version int64) (*vectorSet, error) {
	name := fmt.Sprintf("%q %q %q %q %d", k.path, k.uid, k.kind, k.model, k.dim)
	for {
		c.mu.Lock()
		s := c.sets[k]
		if s != nil {
			c.lru.MoveToFront(s.elem)
		}
		c.mu.Unlock()
		if s != nil && s.current() >= version {
			return s, nil
		}
		// One refresh or load per key at a time, by whichever search comes
		// first with its transaction; one that needs a newer version than
		// it read goes round again.
		v, err, _ := c.loads.Do(name, func() (any, error) {
			c.mu.Lock()
			s := c.sets[k]
			c.mu.Unlock()
			if s != nil {
				cur := s.current()
				if cur >= version {
					return s, nil
				}
				if version-cur <= vectorLogKeep {
					ok, err := s.refresh(ctx, tx, version)
					if err != nil {
						return nil, err
					}
					if ok {
						c.resize(s)
						return s, nil
					}
				}
			}
			// Too far behind to refresh: the stale set is no use to searches
			// from now on (they wait for this load), so it goes first rather
			// than doubling the memory while its successor loads.
			c.drop(k)
			s, err := loadVectors(ctx, tx, k, version)
			if err != nil {
				return nil, err
			}
			c.put(s)
			return s, nil
		})
		if err != nil {
			return nil, err
		}
		if s := v.(*vectorSet); s.current() >= version {
			return s, nil
		}
	}
}

func (c *vectorCache) put(s *vectorSet) {
	s.mu.RLock()
	size := s.bytes()
	s.mu.RUnlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forget(s.key)
	if size > VectorCacheBytes {
		// Larger than the whole budget: serve this search from it and let it
		// go, rather than hold it past the bound.
		c.evict()
		return
	}
	s.size = size
	s.elem = c.lru.PushFront(s)
	c.sets[s.key] = s
	c.bytes += size
	c.evict()
}

// drop forgets k's set, if cached.
func (c *vectorCache) drop(k vectorKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forget(k)
}

// forget is drop under c.mu.
func (c *vectorCache) forget(k vectorKey) {
	if old := c.sets[k]; old != nil {
		c.lru.Remove(old.elem)
		delete(c.sets, k)
		c.bytes -= old.size
	}
}

// resize counts s's size again after a refresh.
func (c *vectorCache) resize(s *vectorSet) {
	s.mu.RLock()
	size := s.bytes()
	s.mu.RUnlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sets[s.key] != s {
		return
	}
	c.bytes += size - s.size
	s.size = size
	if size > VectorCacheBytes {
		c.forget(s.key)
		return
	}
	c.evict()
}

// evict drops the least recently used sets until the budget holds (it may
// have been lowered). Under c.mu.
func (c *vectorCache) evict() {
	for c.bytes > VectorCacheBytes && c.lru.Len() > 0 {
		c.forget(c.lru.Back().Value.(*vectorSet).key)
	}
}

// scratch is one search's working memory, reused across searches.
type scratch struct {
	dist []uint16
	sel  []uint32
	est  []estimate
	lut  [][256]float32
}

type estimate struct {
	score float32
	pos   uint32
}

// better orders estimates best first, then by position.
func better(a, b estimate) int {
	if c := cmp.Compare(b.score, a.score); c != 0 {
		return c
	}
	return cmp.Compare(a.pos, b.pos)
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// deadDist marks an entry that is not searchable.
const deadDist = math.MaxUint16

// candidates returns the rowids to rank exactly for a query asking for k
// hits: every live rowid when there are few, else the most promising.
func (s *vectorSet) candidates(q []float32, k int) []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	want := max(vectorCandidates, vectorPerHit*k)
	if s.live() <= want {
		out := make([]int64, 0, s.live())
		for _, b := range s.blocks {
			for i := range b.off {
				if !b.isDead(i) {
					out = append(out, b.rowid(i))
				}
			}
		}
		return append(out, s.xrow...)
	}
	rot, w := s.rot, s.words
	rotated := make([]float32, w*64)
	rot.rotate(rotated[:rot.n], q)
	qcode := make([]uint64, w)
	rot.encode(qcode, rotated[:rot.n])

	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
	// Positions: block i's entries from i*blockLen, the unsorted rows after
	// the last block (the last unit).
	units := len(s.blocks) + 1
	xpos := len(s.blocks) * blockLen
	if n := xpos + len(s.xrow); cap(sc.dist) < n {
		sc.dist = make([]uint16, n)
	}
	dist := sc.dist[:xpos+len(s.xrow)]
	unit := func(u int) (lo, hi int, codes []uint64, b *codeBlock) {
		if u < len(s.blocks) {
			b = s.blocks[u]
			return u * blockLen, u*blockLen + len(b.off), b.codes, b
		}
		return xpos, len(dist), s.xcodes, nil
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), units, s.live()/8192))

	// 1. Hamming distance of every code, counted per distance.
	maxDist := w * 64
	hists := make([][]int, workers)
	parallel(workers, units, func(wi, u int) {
		if hists[wi] == nil {
			hists[wi] = make([]int, maxDist+1)
		}
		lo, hi, codes, b := unit(u)
		hamming(dist[lo:hi], codes, qcode, hists[wi])
		if b != nil && b.ndead > 0 {
			for i := range b.off {
				if b.isDead(i) {
					hists[wi][dist[lo+i]]--
					dist[lo+i] = deadDist
				}
			}
		}
	})

	// 2. The examined: every code nearer than the distance t at which the
	// count reaches vectorExamined per candidate, then as many at t as fill
	// it, in position order.
	examine := vectorExamined * want
	t, below := 0, 0
	for ; t <= maxDist; t++ {
		c := 0
		for _, h := range hists {
			if h != nil {
				c += h[t]
			}
		}
		if below+c >= examine {
			break
		}
		below += c
	}
	nearer, at := make([][]uint32, units), make([][]uint32, units)
	parallel(workers, units, func(_, u int) {
		lo, hi, _, _ := unit(u)
		for p, d := range dist[lo:hi] {
			if int(d) < t {
				nearer[u] = append(nearer[u], uint32(lo+p))
			} else if int(d) == t {
				at[u] = append(at[u], uint32(lo+p))
			}
		}
	})
	sel := sc.sel[:0]
	for _, n := range nearer {
		sel = append(sel, n...)
	}
	for _, a := range at {
		sel = append(sel, a[:min(len(a), examine-len(sel))]...)
	}
	sc.sel = sel

	// 3. The finer estimate: the rotated query's coordinates, added where a
	// code's bit is set and subtracted where not, through one table per byte
	// of the code.
	if len(sc.lut) < w*8 {
		sc.lut = make([][256]float32, w*8)
	}
	lut := sc.lut[:w*8]
	for j := range lut {
		q8 := rotated[8*j : 8*j+8]
		var sum float32
		for _, x := range q8 {
			sum += x
		}
		lut[j][0] = -sum
		for v := 1; v < 256; v++ {
			lut[j][v] = lut[j][v&(v-1)] + 2*q8[bits.TrailingZeros8(uint8(v))]
		}
	}
	if cap(sc.est) < len(sel) {
		sc.est = make([]estimate, len(sel))
	}
	est := sc.est[:len(sel)]
	chunk := (len(sel) + workers - 1) / workers
	parallel(workers, workers, func(_, c int) {
		for i := c * chunk; i < min(len(sel), (c+1)*chunk); i++ {
			var e float32
			for wi, x := range s.code(int(sel[i])) {
				l := lut[wi*8 : wi*8+8 : wi*8+8]
				e += l[0][uint8(x)] + l[1][uint8(x>>8)] + l[2][uint8(x>>16)] + l[3][uint8(x>>24)] +
					l[4][uint8(x>>32)] + l[5][uint8(x>>40)] + l[6][uint8(x>>48)] + l[7][uint8(x>>56)]
			}
			est[i] = estimate{e, sel[i]}
		}
	})

	// 4. The candidates, best estimate first, at most a few more than k of
	// any one code (room for some hidden rows): equal codes are nearly
	// always equal vectors, which rank alike. Only the head is sorted
	// unless the walk goes past it (many equal codes).
	perCode := k + k/4 + 1
	out := make([]int64, 0, want)
	seen := make(map[uint64]int, want)
	head := min(len(est), 4*want)
	selectBest(est, head)
	slices.SortFunc(est[:head], better)
	for i, e := range est {
		if len(out) == want {
			break
		}
		if i == head {
			slices.SortFunc(est[head:], better)
		}
		code := s.code(int(e.pos))
		h := uint64(len(code))
		for _, c := range code {
			h = (h ^ c) * 0x9e3779b97f4a7c15
			h ^= h >> 29
		}
		if seen[h] >= perCode {
			continue
		}
		seen[h]++
		out = append(out, s.rowidAt(int(e.pos)))
	}
	return out
}

// parallel runs fn for every unit of work on up to workers goroutines, each
// taking the next unit when done with one; fn learns its worker's index.
func parallel(workers, units int, fn func(worker, unit int)) {
	var next sync.Mutex
	u := 0
	var wg sync.WaitGroup
	for wi := range workers {
		wg.Go(func() {
			for {
				next.Lock()
				mine := u
				u++
				next.Unlock()
				if mine >= units {
					return
				}
				fn(wi, mine)
			}
		})
	}
	wg.Wait()
}

// selectBest moves the n best estimates to the front of est, in no
// particular order (quickselect).
func selectBest(est []estimate, n int) {
	lo, hi := 0, len(est)
	for hi-lo > 1 && n > lo && n < hi {
		// Median of three as the pivot, moved to the end.
		mid := lo + (hi-lo)/2
		if better(est[mid], est[lo]) < 0 {
			est[mid], est[lo] = est[lo], est[mid]
		}
		if better(est[hi-1], est[lo]) < 0 {
			est[hi-1], est[lo] = est[lo], est[hi-1]
		}
		if better(est[mid], est[hi-1]) < 0 {
			est[mid], est[hi-1] = est[hi-1], est[mid]
		}
		pivot := est[hi-1]
		p := lo
		for i := lo; i < hi-1; i++ {
			if better(est[i], pivot) < 0 {
				est[i], est[p] = est[p], est[i]
				p++
			}
		}
		est[p], est[hi-1] = est[hi-1], est[p]
		switch {
		case p == n || p+1 == n:
			return
		case p < n:
			lo = p + 1
		default:
			hi = p
		}
	}
}

// code is the code at position p. Under mu.
func (s *vectorSet) code(p int) []uint64 {
	w, xpos := s.words, len(s.blocks)*blockLen
	if p >= xpos {
		p -= xpos
		return s.xcodes[p*w : (p+1)*w]
	}
	b, i := s.blocks[p/blockLen], p%blockLen
	return b.codes[i*w : (i+1)*w]
}

// rowidAt is the rowid at position p. Under mu.
func (s *vectorSet) rowidAt(p int) int64 {
	if xpos := len(s.blocks) * blockLen; p >= xpos {
		return s.xrow[p-xpos]
	}
	return s.blocks[p/blockLen].rowid(p % blockLen)
}

// hamming sets dist to each code's Hamming distance from q and counts them
// in hist.
func hamming(dist []uint16, codes, q []uint64, hist []int) {
	w := len(q)
	if w == 8 { // 384 or 512 dimensions: unrolled
		q0, q1, q2, q3, q4, q5, q6, q7 := q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]
		for i := range dist {
			c := codes[i*8 : i*8+8 : i*8+8]
			d := bits.OnesCount64(c[0]^q0) + bits.OnesCount64(c[1]^q1) + bits.OnesCount64(c[2]^q2) + bits.OnesCount64(c[3]^q3) +
				bits.OnesCount64(c[4]^q4) + bits.OnesCount64(c[5]^q5) + bits.OnesCount64(c[6]^q6) + bits.OnesCount64(c[7]^q7)
			dist[i] = uint16(d)
			hist[d]++
		}
		return
	}
	for i := range dist {
		c := codes[i*w : (i+1)*w]
		d := 0
		for j, x := range c {
			d += bits.OnesCount64(x ^ q[j])
		}
		dist[i] = uint16(d)
		hist[d]++
	}
}

// dot is the dot product of two vectors of equal length, eight lanes at a
// time so the additions do not wait on one another.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		a8, b8 := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += a8[0] * b8[0]
		s1 += a8[1] * b8[1]
		s2 += a8[2] * b8[2]
		s3 += a8[3] * b8[3]
		s4 += a8[4] * b8[4]
		s5 += a8[5] * b8[5]
		s6 += a8[6] * b8[6]
		s7 += a8[7] * b8[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// topK keeps the k best hits: a min-heap whose root is the worst kept.
// Better is a higher score, then a smaller id.
type topK struct {
	k int
	h []omi.Ranked
}

func worse(a omi.Ranked, b omi.Ranked) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.ID > b.ID
}

func (t *topK) Len() int           { return len(t.h) }
func (t *topK) Less(i, j int) bool { return worse(t.h[i], t.h[j]) }
func (t *topK) Swap(i, j int)      { t.h[i], t.h[j] = t.h[j], t.h[i] }
func (t *topK) Push(x any)         { t.h = append(t.h, x.(omi.Ranked)) }
func (t *topK) Pop() any {
	x := t.h[len(t.h)-1]
	t.h = t.h[:len(t.h)-1]
	return x
}

// wants reports whether a hit with this score and id would be kept.
func (t *topK) wants(s float64, id string) bool {
	if len(t.h) < t.k {
		return true
	}
	return worse(t.h[0], omi.Ranked{ID: id, Score: s})
}

func (t *topK) add(r omi.Ranked) {
	if len(t.h) < t.k {
		heap.Push(t, r)
		return
	}
	t.h[0] = r
	heap.Fix(t, 0)
}

// sorted empties the heap, best first.
func (t *topK) sorted() []omi.Ranked {
	out := make([]omi.Ranked, len(t.h))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(t).(omi.Ranked)
	}
	return out
}
