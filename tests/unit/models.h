/* models.h: whole-network builders for planner and code generator tests.
 *
 * Networks are built with the IR builder only, with deterministic small
 * pseudo-random int8 weights (planning needs shapes, not trained values),
 * per-channel SHIFT requant and ReLU clamps. Graphs are finalized, not
 * verified. Must not depend on anything but the IR builder.
 */
#ifndef DORY_TEST_MODELS_H
#define DORY_TEST_MODELS_H

#include "ir/ir.h"

/* MobileNetV1 with width multiplier alpha_x100/100 at res x res x 3:
 * conv 3x3 s2, 13 depthwise-separable blocks, global avgpool, FC -> 1000
 * (29 nodes; 28 conv/fc layers). alpha 100 at 128: 4.2 MB of weights. */
Graph *model_mobilenet_v1(int alpha_x100, int res);
/* A small residual net: conv, two residual blocks (conv-conv-add), maxpool,
 * concat of two branches, reshape, fc. Exercises lifetimes across branches. */
Graph *model_resnet_tiny(void);
/* A DS-CNN-style keyword spotter: 49x10x1 input, conv 10x4 s2, 4 DS blocks,
 * avgpool, fc 12. */
Graph *model_dscnn(void);

/* The list, for tests that plan every model (NULL-terminated names). */
int model_count(void);
Graph *model_build(int i, const char **name);

#endif
