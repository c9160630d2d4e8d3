#!/bin/sh
# @NAME@ (release archive): runs @SCRIPT@ on the Node.js runtime shipped beside it, so no
# Node install is needed. krew links this file into its bin directory: follow links first.
self=$0
case $self in */*) ;; *) self=./$self ;; esac
while [ -L "$self" ]; do
  target=$(readlink "$self")
  case $target in
    /*) self=$target ;;
    *) self=${self%/*}/$target ;;
  esac
done
here=${self%/*}
exec "$here/node/bin/node" "$here/@SCRIPT@" "$@"
