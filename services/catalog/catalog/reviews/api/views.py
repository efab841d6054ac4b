"""One review: its author edits or deletes it, staff moderate it.

(A product's reviews, listed and written, are served under the product:
``catalog.products.api.review_views``.)
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.reviews.api.serializers import ReviewOutputSerializer
from catalog.reviews.selectors import review_get, review_get_own
from catalog.reviews.services import review_delete, review_set_visibility, review_update
from servicekit.auth.permissions import IsStaff


class ReviewUpdateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ReviewUpdateInput"

        rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
        title = serializers.CharField(max_length=200, required=False)
        body = serializers.CharField(required=False, allow_blank=True, max_length=10_000)

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request: Request, review_id: str) -> Response:
        review = review_get_own(review_id=review_id, principal=request.user)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        review = review_update(review=review, data=serializer.validated_data)
        return Response(self.OutputSerializer(review).data)


class ReviewDeleteApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, review_id: str) -> Response:
        review_delete(review=review_get_own(review_id=review_id, principal=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewHideApi(APIView):
    """Staff moderation: hide a review (it stops counting towards the rating)."""

    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ReviewHideInput"

        reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request, review_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = review_set_visibility(
            review=review_get(review_id=review_id),
            is_visible=False,
            moderator_id=request.user.id,
            reason=serializer.validated_data["reason"],
        )
        return Response(self.OutputSerializer(review).data)


class ReviewUnhideApi(APIView):
    permission_classes = [IsStaff]

    OutputSerializer = ReviewOutputSerializer

    @extend_schema(request=None, responses=OutputSerializer)
    def post(self, request: Request, review_id: str) -> Response:
        review = review_set_visibility(
            review=review_get(review_id=review_id), is_visible=True, moderator_id=request.user.id
        )
        return Response(self.OutputSerializer(review).data)
