// CNI protocol
