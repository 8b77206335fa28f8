;; Dot products of one query against packed rows, f32x4 SIMD with four accumulators.
;; Compiled into similarity-kernel.ts (base64) with the wabt npm package:
;;   node -e "import('wabt').then(async m=>{const w=await m.default();const fs=await import('node:fs');
;;     const b=w.parseWat('k.wat',fs.readFileSync('similarity-kernel.wat','utf8'),{simd:true}).toBinary({}).buffer;
;;     console.log(Buffer.from(b).toString('base64'))})"
(module
  (import "env" "memory" (memory 1))
  ;; scores[i] = <rows[i], query> for n rows of `stride` floats (stride a multiple of 16)
  (func (export "dotRows") (param $rows i32) (param $n i32) (param $stride i32) (param $query i32) (param $scores i32)
    (local $rowBytes i32) (local $queryEnd i32) (local $p i32) (local $q i32) (local $end i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $rowBytes (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $queryEnd (i32.add (local.get $query) (local.get $rowBytes)))
    (local.set $end (i32.add (local.get $scores) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $scores) (local.get $end)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $p (local.get $rows))
        (local.set $q (local.get $query))
        (loop $col
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $p)) (v128.load (local.get $q)))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $p)) (v128.load offset=16 (local.get $q)))))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $p)) (v128.load offset=32 (local.get $q)))))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $p)) (v128.load offset=48 (local.get $q)))))
          (local.set $p (i32.add (local.get $p) (i32.const 64)))
          (local.set $q (i32.add (local.get $q) (i32.const 64)))
          (br_if $col (i32.lt_u (local.get $q) (local.get $queryEnd))))
        (local.set $a0 (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3))))
        (f32.store (local.get $scores)
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
            (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
        (local.set $rows (i32.add (local.get $rows) (local.get $rowBytes)))
        (local.set $scores (i32.add (local.get $scores) (i32.const 4)))
        (br $row)))))
