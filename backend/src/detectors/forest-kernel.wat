;; The Isolation Forest's scoring kernel (see forest-kernel.ts): for each pass of trees (their top levels stay in L1),
;; for each group of 8 rows (lanes 0-7, interleaved: feature f of lane j at byte 8 * (8f + j) of the group), walk every
;; tree of the pass and add the leaf's path length to the lane's total. Trees are complete (padded), so a walk is
;; `depth` steps with no data-dependent branch: node n's children are at 2n - tree + 16 (left) and + 32 (right), picked
;; by `select` on x[feature] < threshold. The 8 lanes are written out so their chains of loads overlap.
;; Rebuild forest-kernel.wasm after a change (Debian/Ubuntu package `wabt`):
;;   wat2wasm backend/src/detectors/forest-kernel.wat -o backend/src/detectors/forest-kernel.wasm
(module
  (import "env" "memory" (memory 1))
  (func (export "sumPathLengths")
    (param $tableBytes i32) (param $treeBytes i32) (param $depth i32) (param $passBytes i32)
    (param $rowsAt i32) (param $groupBytes i32) (param $totalsAt i32) (param $totalsEnd i32)
    (local $pass i32) (local $passEnd i32) (local $tree i32) (local $left i32) (local $right i32) (local $row i32)
    (local $total i32) (local $level i32)
    (local $n0 i32) (local $n1 i32) (local $n2 i32) (local $n3 i32) (local $n4 i32) (local $n5 i32) (local $n6 i32) (local $n7 i32)
    (local $sum0 f64) (local $sum1 f64) (local $sum2 f64) (local $sum3 f64) (local $sum4 f64) (local $sum5 f64) (local $sum6 f64) (local $sum7 f64)
  i32.const 0  local.set $pass
  loop $passes
    ;; passEnd = min(pass + passBytes, tableBytes)
    local.get $tableBytes
    local.get $pass  local.get $passBytes  i32.add  local.tee $passEnd
    local.get $passEnd  local.get $tableBytes  i32.gt_u
    select  local.set $passEnd
    local.get $rowsAt  local.set $row
    local.get $totalsAt  local.set $total
    loop $groups
      local.get $total  f64.load offset=0  local.set $sum0
      local.get $total  f64.load offset=8  local.set $sum1
      local.get $total  f64.load offset=16  local.set $sum2
      local.get $total  f64.load offset=24  local.set $sum3
      local.get $total  f64.load offset=32  local.set $sum4
      local.get $total  f64.load offset=40  local.set $sum5
      local.get $total  f64.load offset=48  local.set $sum6
      local.get $total  f64.load offset=56  local.set $sum7
      local.get $pass  local.set $tree
      block $passDone
        loop $trees
          local.get $tree  local.get $passEnd  i32.ge_u  br_if $passDone
          i32.const 16  local.get $tree  i32.sub  local.set $left
          i32.const 32  local.get $tree  i32.sub  local.set $right
          local.get $tree  local.set $n0
          local.get $tree  local.set $n1
          local.get $tree  local.set $n2
          local.get $tree  local.set $n3
          local.get $tree  local.set $n4
          local.get $tree  local.set $n5
          local.get $tree  local.set $n6
          local.get $tree  local.set $n7
          block $walked
            local.get $depth  local.tee $level  i32.eqz  br_if $walked
            loop $levels ;; n = 2n - tree + (x[feature] < threshold ? 16 : 32), lane by lane
              local.get $n0  local.get $n0  i32.add
              local.get $left  local.get $right
              local.get $row  local.get $n0  i32.load offset=8  i32.add  f64.load offset=0
              local.get $n0  f64.load
              f64.lt  select  i32.add  local.set $n0
              local.get $n1  local.get $n1  i32.add
              local.get $left  local.get $right
              local.get $row  local.get $n1  i32.load offset=8  i32.add  f64.load offset=8
              local.get $n1  f64.load
              f64.lt  select  i32.add  local.set $n1
              local.get $n2  local.get $n2  i32.add
              local.get $left  local.get $right
              local.get $row  local.get $n2  i32.load offset=8  i32.add  f64.load offset=16
              local.get $n2  f64.load
              f64.lt  select  i32.add  local.set $n2
              local.get $n3  local.get $n3  i32.add
              local.get $left  local.get $right
              local.get $row  local.get $n3  i32.load offset=8  i32.add  f64.load offset=24
              local.get $n3  f64.load
              f64.lt  select  i32.add  local.set $n3
              local.get $n4  local.get $n4  i32.add
              local.get $left  local.get $right
              local.get $row  local.get $n4  i32.load offset=8  i32.add  f64.load offset=32
              local.get $n4  f64.load
              f64.lt  select  i32.add  local.set $n4
              local.get $n5  local.get $n5  i32.add
              local.get $left  local.get $right
              local.get $row  local.get $n5  i32.load offset=8  i32.add  f64.load offset=40
              local.get $n5  f64.load
              f64.lt  select  i32.add  local.set $n5
              local.get $n6  local.get $n6  i32.add
              local.get $left  local.get $right
              local.get $row  local.get $n6  i32.load offset=8  i32.add  f64.load offset=48
              local.get $n6  f64.load
              f64.lt  select  i32.add  local.set $n6
              local.get $n7  local.get $n7  i32.add
              local.get $left  local.get $right
              local.get $row  local.get $n7  i32.load offset=8  i32.add  f64.load offset=56
              local.get $n7  f64.load
              f64.lt  select  i32.add  local.set $n7
              local.get $level  i32.const 1  i32.sub  local.tee $level  br_if $levels
            end
          end
          local.get $sum0  local.get $n0  f64.load  f64.add  local.set $sum0
          local.get $sum1  local.get $n1  f64.load  f64.add  local.set $sum1
          local.get $sum2  local.get $n2  f64.load  f64.add  local.set $sum2
          local.get $sum3  local.get $n3  f64.load  f64.add  local.set $sum3
          local.get $sum4  local.get $n4  f64.load  f64.add  local.set $sum4
          local.get $sum5  local.get $n5  f64.load  f64.add  local.set $sum5
          local.get $sum6  local.get $n6  f64.load  f64.add  local.set $sum6
          local.get $sum7  local.get $n7  f64.load  f64.add  local.set $sum7
          local.get $tree  local.get $treeBytes  i32.add  local.set $tree
          br $trees
        end
      end
      local.get $total  local.get $sum0  f64.store offset=0
      local.get $total  local.get $sum1  f64.store offset=8
      local.get $total  local.get $sum2  f64.store offset=16
      local.get $total  local.get $sum3  f64.store offset=24
      local.get $total  local.get $sum4  f64.store offset=32
      local.get $total  local.get $sum5  f64.store offset=40
      local.get $total  local.get $sum6  f64.store offset=48
      local.get $total  local.get $sum7  f64.store offset=56
      local.get $row  local.get $groupBytes  i32.add  local.set $row
      local.get $total  i32.const 64  i32.add  local.tee $total
      local.get $totalsEnd  i32.lt_u  br_if $groups
    end
    local.get $passEnd  local.tee $pass  local.get $tableBytes  i32.lt_u  br_if $passes
  end
  )
  )
