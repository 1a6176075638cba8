#!/bin/dash
# lacp-no-partner: an 802.3ad bond whose slaves' peers are plain veths (no
# LACP speaker).  The bond still comes up (one port in a defaulted
# aggregator) but the partner MAC stays 00:00:00:00:00:00.
# Steps dumped: settled (after 4 s: > 3 x fast/slow periodic tx start).
. /lab/lib.sh
IP=/sbin/ip

$IP link add bond0 type bond mode 802.3ad miimon 100 || lab_error "bond0"
lab_veth_slave veth0 vpeer0 bond0
lab_veth_slave veth1 vpeer1 bond0
$IP link set bond0 up
up() { [ "$(lab_bond_field bond0 'MII Status')" = up ]; }
lab_wait 100 up || lab_error "bond0 not up"
lab_sleep 40
lab_dump settled

$IP link del bond0
$IP link del veth0
$IP link del veth1
