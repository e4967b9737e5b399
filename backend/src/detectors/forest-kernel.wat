;; The Isolation Forest's scoring kernel (see forest-kernel.ts), for one block of rows:
;; 1. Transpose the block's rows (as given, at $rowsAt) into groups of 8 rows ("lanes") with the lanes interleaved:
;;    feature f of lane j at byte 8 * (8f + j) of its group, a NaN as +Infinity.
;; 2. For each pass of trees (their top levels stay in cache), for each group: copy the group to address 0 (so a lane
;;    reads its value at a constant offset from the feature's), walk every tree of the pass and add the leaf's path
;;    length to the lane's total. Trees are complete (padded), so a walk is `depth` steps with no data-dependent
;;    branch: node n's children are at 2n - tree + 16 (left) and + 32 (right), picked by `select` on
;;    x[feature] >= threshold: one flag on x86, so a 1-uop cmov (x < threshold takes two flags), and the same choice
;;    once NaN is mapped away (a NaN x reads as +Infinity here, a NaN threshold is stored as -Infinity).
;;    The 8 lanes are written out so their chains of loads overlap.
;; Rebuild forest-kernel.wasm after a change (Debian/Ubuntu package `wabt`):
;;   wat2wasm backend/src/detectors/forest-kernel.wat -o backend/src/detectors/forest-kernel.wasm
(module
  (import "env" "memory" (memory 1))
  (func (export "sumPathLengths")
    (param $tableAt i32) (param $tableEnd i32) (param $treeBytes i32) (param $depth i32) (param $passBytes i32)
    (param $rowsAt i32) (param $rowBytes i32) (param $groupsAt i32) (param $totalsAt i32) (param $totalsEnd i32)
    (local $groupBytes i32) (local $from i32) (local $rowEnd i32) (local $laneAt i32) (local $to i32) (local $x f64)
    (local $pass i32) (local $passEnd i32) (local $tree i32) (local $left i32) (local $right i32) (local $group i32)
    (local $total i32) (local $level i32)
    (local $n0 i32) (local $n1 i32) (local $n2 i32) (local $n3 i32) (local $n4 i32) (local $n5 i32) (local $n6 i32) (local $n7 i32)
    (local $sum0 f64) (local $sum1 f64) (local $sum2 f64) (local $sum3 f64) (local $sum4 f64) (local $sum5 f64) (local $sum6 f64) (local $sum7 f64)
  local.get $rowBytes  i32.const 8  i32.mul  local.set $groupBytes
  ;; 1. Transpose (counting the groups by their totals).
  local.get $rowsAt  local.set $from
  local.get $groupsAt  local.set $group
  local.get $totalsAt  local.set $total
  loop $transposeGroups
    local.get $group  local.set $laneAt
    loop $transposeLanes
      local.get $laneAt  local.set $to
      local.get $from  local.get $rowBytes  i32.add  local.set $rowEnd
      block $rowDone
        loop $transposeFeatures
          local.get $from  local.get $rowEnd  i32.ge_u  br_if $rowDone
          local.get $to
          local.get $from  f64.load  local.tee $x  f64.const inf  local.get $x  local.get $x  f64.eq  select
          f64.store
          local.get $to  i32.const 64  i32.add  local.set $to
          local.get $from  i32.const 8  i32.add  local.set $from
          br $transposeFeatures
        end
      end
      local.get $laneAt  i32.const 8  i32.add  local.tee $laneAt
      local.get $group  i32.const 64  i32.add  i32.lt_u  br_if $transposeLanes
    end
    local.get $group  local.get $groupBytes  i32.add  local.set $group
    local.get $total  i32.const 64  i32.add  local.tee $total
    local.get $totalsEnd  i32.lt_u  br_if $transposeGroups
  end
  ;; 2. Walk.
  local.get $tableAt  local.set $pass
  loop $passes
    ;; passEnd = min(pass + passBytes, tableEnd)
    local.get $tableEnd
    local.get $pass  local.get $passBytes  i32.add  local.tee $passEnd
    local.get $passEnd  local.get $tableEnd  i32.gt_u
    select  local.set $passEnd
    local.get $groupsAt  local.set $group
    local.get $totalsAt  local.set $total
    loop $groups
      i32.const 0  local.get $group  local.get $groupBytes  memory.copy
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
            loop $levels ;; n = (n << 1) + (x[feature] >= threshold ? right : left), lane by lane
              local.get $n0  i32.const 1  i32.shl
              local.get $right  local.get $left
              local.get $n0  i32.load offset=8  f64.load offset=0
              local.get $n0  f64.load
              f64.ge  select  i32.add  local.set $n0
              local.get $n1  i32.const 1  i32.shl
              local.get $right  local.get $left
              local.get $n1  i32.load offset=8  f64.load offset=8
              local.get $n1  f64.load
              f64.ge  select  i32.add  local.set $n1
              local.get $n2  i32.const 1  i32.shl
              local.get $right  local.get $left
              local.get $n2  i32.load offset=8  f64.load offset=16
              local.get $n2  f64.load
              f64.ge  select  i32.add  local.set $n2
              local.get $n3  i32.const 1  i32.shl
              local.get $right  local.get $left
              local.get $n3  i32.load offset=8  f64.load offset=24
              local.get $n3  f64.load
              f64.ge  select  i32.add  local.set $n3
              local.get $n4  i32.const 1  i32.shl
              local.get $right  local.get $left
              local.get $n4  i32.load offset=8  f64.load offset=32
              local.get $n4  f64.load
              f64.ge  select  i32.add  local.set $n4
              local.get $n5  i32.const 1  i32.shl
              local.get $right  local.get $left
              local.get $n5  i32.load offset=8  f64.load offset=40
              local.get $n5  f64.load
              f64.ge  select  i32.add  local.set $n5
              local.get $n6  i32.const 1  i32.shl
              local.get $right  local.get $left
              local.get $n6  i32.load offset=8  f64.load offset=48
              local.get $n6  f64.load
              f64.ge  select  i32.add  local.set $n6
              local.get $n7  i32.const 1  i32.shl
              local.get $right  local.get $left
              local.get $n7  i32.load offset=8  f64.load offset=56
              local.get $n7  f64.load
              f64.ge  select  i32.add  local.set $n7
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
      local.get $group  local.get $groupBytes  i32.add  local.set $group
      local.get $total  i32.const 64  i32.add  local.tee $total
      local.get $totalsEnd  i32.lt_u  br_if $groups
    end
    local.get $passEnd  local.tee $pass  local.get $tableEnd  i32.lt_u  br_if $passes
  end
  )
  )
