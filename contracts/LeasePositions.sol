// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// OpenZeppelin 5.0.2 for ERC-721: the ERC-721 of 5.7 pulls in `mcopy`, which Shanghai (the
// newest fork Ganache runs) lacks.
import {ERC721} from "@openzeppelin/contracts-erc721-shanghai/token/ERC721/ERC721.sol";
import {IERC165} from "@openzeppelin/contracts-erc721-shanghai/utils/introspection/IERC165.sol";
import {IERC721Metadata} from "@openzeppelin/contracts-erc721-shanghai/token/ERC721/extensions/IERC721Metadata.sol";
import {LibString} from "solady/utils/LibString.sol";
import {Base64} from "solady/utils/Base64.sol";

import {ILeasePositions} from "./interfaces/ILeasePositions.sol";
import {ILeaseManager, LeaseView} from "./interfaces/ILeaseManager.sol";

/// @title LeasePositions: the ERC-721 tokens of GPU leases
/// @notice Created by the `LeaseManager`, which alone mints. See `ILeasePositions`.
contract LeasePositions is ILeasePositions, ERC721 {
    using LibString for uint256;

    /// @inheritdoc ILeasePositions
    address public immutable manager;

    constructor(address manager_) ERC721("compute-rwa GPU lease", "GPULEASE") {
        manager = manager_;
    }

    /// @inheritdoc ILeasePositions
    function mint(address to, uint256 leaseId) external {
        if (msg.sender != manager) revert PositionsOnlyManager(msg.sender);
        _safeMint(to, leaseId);
    }

    /// @inheritdoc ILeasePositions
    function authorizedOwner(address spender, uint256 leaseId) external view returns (address owner, bool authorized) {
        owner = _ownerOf(leaseId);
        authorized = _isAuthorized(owner, spender, leaseId);
    }

    /// @notice The position's terms as JSON (base64 data URI): asset, GPUs, epochs, price, SLA.
    function tokenURI(uint256 leaseId) public view override(ERC721, IERC721Metadata) returns (string memory) {
        _requireOwned(leaseId);
        LeaseView memory l = ILeaseManager(manager).lease(leaseId);
        bytes memory json = abi.encodePacked(
            '{"name":"GPU lease #',
            leaseId.toString(),
            '","description":"Right to use ',
            uint256(l.gpus).toString(),
            " GPUs of compute-rwa asset ",
            l.assetId.toString(),
            ', settled against oracle-measured uptime.","attributes":[',
            _attribute("asset", l.assetId, false),
            _attribute("gpus", l.gpus, false),
            _attribute("start epoch", l.startEpoch, false)
        );
        json = abi.encodePacked(
            json,
            _attribute("end epoch", l.endEpoch, false),
            _attribute("price per GPU-hour", l.pricePerGpuHour, false),
            _attribute("uptime target bps", l.uptimeTargetBps, false),
            _attribute("status", uint8(l.status), true),
            "]}"
        );
        return string.concat("data:application/json;base64,", Base64.encode(json));
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, IERC165) returns (bool) {
        return interfaceId == type(ILeasePositions).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Transfers (not mints or burns) ask the manager whether the lease's asset allows the
    ///      recipient (renter compliance, ERC-7943 style).
    function _update(address to, uint256 leaseId, address auth) internal override returns (address) {
        address from = _ownerOf(leaseId);
        if (from != address(0) && to != address(0) && !ILeaseManager(manager).canTransfer(from, to, leaseId)) {
            revert PositionsTransferNotAllowed(from, to, leaseId);
        }
        return super._update(to, leaseId, auth);
    }

    function _attribute(string memory name, uint256 value, bool last) private pure returns (bytes memory) {
        return abi.encodePacked('{"trait_type":"', name, '","value":', value.toString(), last ? "}" : "},");
    }
}
