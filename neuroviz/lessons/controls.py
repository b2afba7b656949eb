"""The stable IDs of the app's controls that a lesson may hide, lock or highlight.

This is the one list both sides agree on: lesson files name controls by these IDs, the
validator rejects any other name, and the app maps each ID to its widget(s) (usually the
widget whose ``objectName()`` is the ID; an ID such as ``add_neuron`` covers every
``add_neuron_<k>`` button, ``activation`` every ``activation_<k>`` picker).
"""

from __future__ import annotations

#: control ID -> what it is, in words a teacher understands.
CONTROLS: dict[str, str] = {
    # data panel
    "dataset": "the dataset picker",
    "noise": "the noise slider",
    "train_ratio": "the train/test split slider",
    "batch_size": "the batch size",
    "features": "the input feature toggles (x1, x2, x1^2, ...)",
    "regenerate": "the 'regenerate data' button",
    # network canvas
    "network_view": "the network drawing",
    "add_layer": "the button that adds a hidden layer",
    "remove_layer": "the button that removes a hidden layer",
    "add_neuron": "the buttons that add a neuron to a hidden layer",
    "remove_neuron": "the buttons that remove a neuron from a hidden layer",
    "activation": "the activation pickers of the layers",
    "edit_weights": "clicking a weight or bias to type a new value",
    # toolbar
    "play": "the play/pause button",
    "step": "the 'train one epoch' button",
    "reset": "the reset button",
    "new_seed": "the 'new seed' action",
    "speed": "the training speed control",
    "epoch_counter": "the epoch counter",
    "learning_rate": "the learning rate",
    "optimizer": "the optimizer picker",
    "regularization": "the regularisation picker (none, L1, L2)",
    "regularization_rate": "the regularisation rate",
    "problem_type": "the problem type (classification or regression)",
    # output and charts
    "output_view": "the output plot (decision boundary or prediction)",
    "show_test": "the 'show test data' toggle",
    "discretize": "the 'discretise output' toggle",
    "confusion_matrix": "the confusion matrix",
    "charts": "the loss and accuracy charts",
    # explain mode, gradients, timeline
    "explain": "the explain mode (step through one example)",
    "gradient_view": "the 'colour edges by gradient' toggle",
    "timeline": "the training timeline",
    # views that look inside the network (View menu)
    "param_count": "the number of weights and biases, beside the layer buttons",
    "neuron_response": "the neuron-response view (a hidden neuron against inputs and factors)",
    "saliency": "the saliency view (which inputs the answer for one example depends on)",
    "loss_surface": "the loss surface over two weights, with the descent path",
    "weight_images": "the weights of each first-layer neuron drawn as an 8x8 image",
}

CONTROL_IDS: tuple[str, ...] = tuple(CONTROLS)
